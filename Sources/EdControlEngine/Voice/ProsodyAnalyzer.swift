import CAubio
import CEBUR128
import Foundation

/// How a voice sounds over 100 ms of speech.
public struct ProsodyFrame: Codable, Sendable, Equatable {
    /// Start, seconds from the start of the recording.
    public var time: Double
    /// Momentary loudness (EBU R 128, 400 ms window ending with this frame), LUFS.
    public var loudnessLUFS: Float
    /// Fundamental frequency, if the frame is voiced.
    public var pitchHz: Float?
}

/// Measures loudness (libebur128, EBU R 128 K-weighting) and pitch (aubio's YIN) of speech.
public protocol ProsodyAnalyzing: AnyObject {
    func frames(of segment: SpeechSegment) -> [ProsodyFrame]
}

public final class ProsodyAnalyzer: ProsodyAnalyzing {
    public struct Settings: Codable, Sendable, Hashable {
        /// Pitch estimates aubio is less sure of than this are ignored.
        public var minimumPitchConfidence: Float = 0.8
        /// Speech F0 range; estimates outside it are octave errors or noise.
        public var pitchRangeHz: ClosedRange<Float> = 60...500
        public init() {}
    }

    public static let frameSeconds = 0.1
    private static let pitchHop = 160      // 10 ms
    private static let pitchWindow = 1024  // 64 ms: two periods of a 60 Hz voice fit
    private let settings: Settings

    public init(settings: Settings = Settings()) { self.settings = settings }

    public func frames(of segment: SpeechSegment) -> [ProsodyFrame] {
        let rate = AudioFormat.sampleRate
        let frameLength = Int(Self.frameSeconds * Double(rate))
        guard segment.samples.count >= frameLength,
              let meter = ebur128_init(1, UInt(rate), Int32(EBUR128_MODE_M.rawValue)) else { return [] }
        var state: UnsafeMutablePointer<ebur128_state>? = meter
        defer { ebur128_destroy(&state) }
        let pitches = pitchTrack(segment.samples)
        let hopsPerFrame = frameLength / Self.pitchHop

        var frames: [ProsodyFrame] = []
        segment.samples.withUnsafeBufferPointer { samples in
            for (index, start) in stride(from: 0, through: samples.count - frameLength, by: frameLength).enumerated() {
                ebur128_add_frames_float(meter, samples.baseAddress! + start, frameLength)
                var loudness = 0.0
                let window = UInt(min(400, (index + 1) * Int(Self.frameSeconds * 1000)))
                ebur128_loudness_window(meter, window, &loudness)
                let voiced = pitches[(index * hopsPerFrame)..<min(pitches.count, (index + 1) * hopsPerFrame)].compactMap { $0 }
                frames.append(ProsodyFrame(time: Double(segment.startSample + start) / Double(rate),
                                           loudnessLUFS: loudness.isFinite ? Float(loudness) : -70,
                                           pitchHz: voiced.count * 2 >= hopsPerFrame ? voiced.sorted()[voiced.count / 2] : nil))
            }
        }
        return frames
    }

    /// One F0 estimate (or nil) per 10 ms hop.
    private func pitchTrack(_ samples: [Float]) -> [Float?] {
        guard let detector = new_aubio_pitch("yinfast", UInt32(Self.pitchWindow), UInt32(Self.pitchHop), UInt32(AudioFormat.sampleRate)) else { return [] }
        defer { del_aubio_pitch(detector) }
        aubio_pitch_set_unit(detector, "Hz")
        aubio_pitch_set_silence(detector, -50)
        let input = new_fvec(UInt32(Self.pitchHop))!, output = new_fvec(1)!
        defer { del_fvec(input); del_fvec(output) }
        var track: [Float?] = []
        for start in stride(from: 0, through: samples.count - Self.pitchHop, by: Self.pitchHop) {
            for i in 0..<Self.pitchHop { input.pointee.data[i] = samples[start + i] }
            aubio_pitch_do(detector, input, output)
            let pitch = output.pointee.data[0]
            let confident = aubio_pitch_get_confidence(detector) >= settings.minimumPitchConfidence
            track.append(confident && settings.pitchRangeHz.contains(pitch) ? pitch : nil)
        }
        return track
    }
}
