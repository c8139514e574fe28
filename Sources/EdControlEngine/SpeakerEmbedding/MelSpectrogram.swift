import CFFTW
import Foundation

/// A mel power spectrogram computed the way `librosa.feature.melspectrogram` does: periodic
/// Hann window, centred frames, power spectrum, Slaney-style mel filters with Slaney
/// normalisation, no logarithm. Resemblyzer's GE2E encoder was trained on it with zero-padded
/// centring (librosa's default), Whisper's front end with reflected centring (torch.stft's).
final class MelSpectrogram {
    /// How the signal is extended by half a window at both ends so frames can be centred.
    enum Centring { case zeros, reflection }

    let fftLength: Int
    let hopLength: Int
    let bandCount: Int
    let centring: Centring
    private let window: [Float]
    /// bandCount × binCount, row-major.
    private let filters: [Float]
    private var binCount: Int { fftLength / 2 + 1 }
    private let plan: fftwf_plan
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>

    init(sampleRate: Int = 16_000, fftLength: Int = 400, hopLength: Int = 160, bandCount: Int = 40,
         centring: Centring = .zeros) {
        self.centring = centring
        self.fftLength = fftLength
        self.hopLength = hopLength
        self.bandCount = bandCount
        window = (0..<fftLength).map { 0.5 - 0.5 * Float(cos(2 * Double.pi * Double($0) / Double(fftLength))) }
        filters = Self.slaneyFilters(sampleRate: sampleRate, fftLength: fftLength, bandCount: bandCount)
        let input = fftwf_alloc_real(fftLength)!
        let output = fftwf_alloc_complex(fftLength / 2 + 1)!
        self.input = input
        self.output = output
        // FFTW's planner is not thread-safe; execution with a plan is.
        plan = Self.plannerLock.withLock {
            fftwf_plan_dft_r2c_1d(Int32(fftLength), input, output, UInt32(FFTW_ESTIMATE))
        }
    }

    deinit {
        Self.plannerLock.withLock { fftwf_destroy_plan(plan) }
        fftwf_free(input)
        fftwf_free(output)
    }

    private static let plannerLock = NSLock()

    /// Number of frames librosa produces for `sampleCount` samples.
    func frameCount(for sampleCount: Int) -> Int { 1 + sampleCount / hopLength }

    /// Frames × bands, row-major.
    func compute(_ samples: ArraySlice<Float>) -> [Float] {
        let frames = frameCount(for: samples.count)
        let half = fftLength / 2
        var result = [Float](repeating: 0, count: frames * bandCount)
        var power = [Float](repeating: 0, count: binCount)
        for frame in 0..<frames {
            let first = frame * hopLength - half
            for i in 0..<fftLength {
                input[i] = sample(at: first + i, of: samples) * window[i]
            }
            fftwf_execute(plan)
            for bin in 0..<binCount {
                let (re, im) = output[bin]
                power[bin] = re * re + im * im
            }
            for band in 0..<bandCount {
                var sum: Float = 0
                let row = band * binCount
                for bin in 0..<binCount where filters[row + bin] != 0 { sum += filters[row + bin] * power[bin] }
                result[frame * bandCount + band] = sum
            }
        }
        return result
    }

    private func sample(at index: Int, of samples: ArraySlice<Float>) -> Float {
        if index >= 0 && index < samples.count { return samples[samples.startIndex + index] }
        switch centring {
        case .zeros: return 0
        case .reflection:
            let reflected = index < 0 ? -index : 2 * (samples.count - 1) - index
            return reflected >= 0 && reflected < samples.count ? samples[samples.startIndex + reflected] : 0
        }
    }

    // MARK: Slaney mel scale (librosa.filters.mel with htk=False, norm="slaney")

    static func hertzToMel(_ f: Double) -> Double {
        let linearStep = 200.0 / 3, minLogHz = 1000.0, logStep = log(6.4) / 27
        return f < minLogHz ? f / linearStep : minLogHz / linearStep + log(f / minLogHz) / logStep
    }

    static func melToHertz(_ m: Double) -> Double {
        let linearStep = 200.0 / 3, minLogHz = 1000.0, logStep = log(6.4) / 27
        let minLogMel = minLogHz / linearStep
        return m < minLogMel ? m * linearStep : minLogHz * exp(logStep * (m - minLogMel))
    }

    static func slaneyFilters(sampleRate: Int, fftLength: Int, bandCount: Int) -> [Float] {
        let bins = fftLength / 2 + 1
        let nyquist = Double(sampleRate) / 2
        let fftFrequencies = (0..<bins).map { nyquist * Double($0) / Double(bins - 1) }
        let maxMel = hertzToMel(nyquist)
        let edges = (0..<(bandCount + 2)).map { melToHertz(maxMel * Double($0) / Double(bandCount + 1)) }
        var weights = [Float](repeating: 0, count: bandCount * bins)
        for band in 0..<bandCount {
            let lowWidth = edges[band + 1] - edges[band]
            let highWidth = edges[band + 2] - edges[band + 1]
            let normalisation = 2 / (edges[band + 2] - edges[band])
            for bin in 0..<bins {
                let rising = (fftFrequencies[bin] - edges[band]) / lowWidth
                let falling = (edges[band + 2] - fftFrequencies[bin]) / highWidth
                weights[band * bins + bin] = Float(max(0, min(rising, falling)) * normalisation)
            }
        }
        return weights
    }
}
