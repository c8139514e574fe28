import Foundation

/// A speaker embedding of one window of speech.
public struct WindowEmbedding: Sendable {
    public var span: TimeSpan
    public var vector: [Float]
}

/// Turns speech into speaker embeddings: windows of 1.6 s (GE2E's partial utterances).
public protocol SpeakerEmbedding: AnyObject {
    /// For each speech segment, embeddings of overlapping windows covering it. Passing
    /// several segments at once lets their windows share matrix products.
    func embedWindows(of segments: [SpeechSegment]) -> [[WindowEmbedding]]
    /// One embedding for a whole utterance: the normalised mean of its windows.
    func embedUtterance(_ samples: [Float]) -> [Float]
}

/// GE2E embeddings prepared exactly as Resemblyzer's `embed_utterance` prepares them.
public final class GE2ESpeakerEmbedder: SpeakerEmbedding {
    public struct Settings: Codable, Sendable, Hashable {
        /// Windows per second (Resemblyzer's `rate`); 1.25 = one 1.6 s window every 0.8 s.
        public var windowsPerSecond: Double = 1.25
        /// A last, partly empty window is kept if at least this share of it is audio.
        public var minCoverage: Double = 0.75
        /// Loudness every segment is raised to (never lowered), as Resemblyzer does.
        public var targetDBFS: Double = -30
        public init() {}
    }

    static let windowFrames = 160
    private let encoder: GE2EEncoder
    private let mel = MelSpectrogram()
    private let settings: Settings

    public init(weightsURL: URL, settings: Settings = Settings()) throws {
        encoder = try GE2EEncoder(weightsURL: weightsURL)
        self.settings = settings
    }

    public func embedWindows(of segments: [SpeechSegment]) -> [[WindowEmbedding]] {
        let rate = Double(AudioFormat.sampleRate)
        let prepared = segments.map { prepare($0.samples) }
        let vectors = encodeInBatches(prepared.flatMap(\.mels))
        var next = vectors[...]
        return zip(segments, prepared).map { segment, prepared in
            let segmentEnd = Double(segment.startSample + segment.samples.count) / rate
            let own = next.prefix(prepared.windows.count)
            next = next.dropFirst(prepared.windows.count)
            return zip(prepared.windows, own).map { window, vector in
                let start = Double(segment.startSample + window.lowerBound * mel.hopLength) / rate
                let end = min(segmentEnd, Double(segment.startSample + window.upperBound * mel.hopLength) / rate)
                return WindowEmbedding(span: TimeSpan(start: start, end: end), vector: vector)
            }
        }
    }

    public func embedUtterance(_ samples: [Float]) -> [Float] {
        let vectors = encodeInBatches(prepare(samples).mels)
        guard let first = vectors.first else { return [] }
        var mean = [Float](repeating: 0, count: first.count)
        for vector in vectors { for i in mean.indices { mean[i] += vector[i] } }
        return mean.l2Normalized
    }

    /// Resemblyzer's `compute_partial_slices`: windows as mel-frame ranges.
    func partialWindows(sampleCount: Int) -> [Range<Int>] {
        let hop = mel.hopLength
        let frames = Int((Double(sampleCount + 1) / Double(hop)).rounded(.up))
        let step = max(1, Int((Double(AudioFormat.sampleRate) / settings.windowsPerSecond / Double(hop)).rounded()))
        let stepCount = max(1, frames - Self.windowFrames + step + 1)
        var windows = stride(from: 0, to: stepCount, by: step).map { $0..<($0 + Self.windowFrames) }
        if windows.count > 1, let last = windows.last {
            let coverage = Double(sampleCount - last.lowerBound * hop) / Double(Self.windowFrames * hop)
            if coverage < settings.minCoverage { windows.removeLast() }
        }
        return windows
    }

    /// Windows (as mel-frame ranges) and their mel spectrograms, as Resemblyzer prepares them.
    private func prepare(_ samples: [Float]) -> (windows: [Range<Int>], mels: [[Float]]) {
        guard !samples.isEmpty else { return ([], []) }
        let windows = partialWindows(sampleCount: samples.count)
        var audio = Self.normalizeVolume(samples, targetDBFS: settings.targetDBFS)
        let needed = windows.last!.upperBound * mel.hopLength
        if needed > audio.count { audio += [Float](repeating: 0, count: needed - audio.count) }
        let spectrogram = mel.compute(audio[...])
        let bands = GE2EEncoder.bandCount
        return (windows, windows.map { Array(spectrogram[($0.lowerBound * bands)..<($0.upperBound * bands)]) })
    }

    /// Batches bound the LSTM's working buffers (about 40 MB at 128 windows).
    private func encodeInBatches(_ mels: [[Float]]) -> [[Float]] {
        stride(from: 0, to: mels.count, by: Self.batchSize).flatMap { start in
            encoder.embed(Array(mels[start..<min(start + Self.batchSize, mels.count)]), frameCount: Self.windowFrames)
        }
    }

    static let batchSize = 128

    /// Raises quiet audio to `targetDBFS` (RMS); never lowers it.
    static func normalizeVolume(_ samples: [Float], targetDBFS: Double) -> [Float] {
        let meanSquare = samples.reduce(0) { $0 + Double($1) * Double($1) } / Double(samples.count)
        guard meanSquare > 0 else { return samples }
        let change = targetDBFS - 10 * log10(meanSquare)
        guard change > 0 else { return samples }
        let gain = Float(pow(10, change / 20))
        return samples.map { $0 * gain }
    }
}
