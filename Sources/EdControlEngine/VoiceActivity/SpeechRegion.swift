/// A stretch of time, in seconds from the start of the recording.
public struct TimeSpan: Codable, Sendable, Equatable, Hashable {
    public var start: Double
    public var end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }

    public var duration: Double { end - start }

    /// Whether `time` falls inside (start included, end not).
    public func contains(_ time: Double) -> Bool { start <= time && time < end }

    public func overlap(with other: TimeSpan) -> Double {
        max(0, min(end, other.end) - max(start, other.start))
    }
}

/// Speech found by voice activity detection, with its audio (needed by the embedder,
/// and dropped once embedded so memory stays bounded).
public struct SpeechSegment: Sendable {
    public var startSample: Int
    public var samples: [Float]

    public init(startSample: Int, samples: [Float]) {
        self.startSample = startSample
        self.samples = samples
    }

    public var span: TimeSpan {
        let rate = Double(AudioFormat.sampleRate)
        return TimeSpan(start: Double(startSample) / rate, end: Double(startSample + samples.count) / rate)
    }
}

/// Finds speech in a stream of audio chunks.
public protocol VoiceActivityDetecting: AnyObject {
    /// Feeds the next chunk; returns the speech segments that ended within it.
    func accept(_ chunk: AudioChunk) -> [SpeechSegment]
    /// Ends the stream; returns any segment still open.
    func finish() -> [SpeechSegment]
}
