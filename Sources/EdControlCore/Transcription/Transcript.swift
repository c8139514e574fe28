import Foundation

/// What was said in a lesson: the language, the model that heard it, and the words in
/// segments of one speaker each.
public struct Transcript: Codable, Sendable, Equatable {
    /// ISO 639-1 code ("ru", "en").
    public var language: String
    /// How sure the language detection was (0…1); nil when the language was given.
    public var languageProbability: Double?
    /// The model's id and version, e.g. "whisper-base 1.0.0".
    public var model: String
    public var segments: [TranscriptSegment]

    public init(language: String, languageProbability: Double?, model: String, segments: [TranscriptSegment]) {
        self.language = language
        self.languageProbability = languageProbability
        self.model = model
        self.segments = segments
    }

    /// The whole text, a segment a line.
    public var text: String { segments.map(\.text).joined(separator: "\n") }
}

public struct TranscriptSegment: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    /// The diarization's speaker whose turn the segment overlaps most; nil where nobody's does.
    public var speaker: String?
    public var text: String

    public init(start: Double, end: Double, speaker: String?, text: String) {
        self.start = start
        self.end = end
        self.speaker = speaker
        self.text = text
    }
}

/// Speech to text, one stage of the analysis.
public protocol Transcribing {
    /// The language most likely spoken in `samples` (16 kHz mono) and its probability.
    func detectLanguage(_ samples: [Float]) throws -> (language: String, probability: Double)
    /// Transcribes `samples` (16 kHz mono, any length: it is read in 30-s windows) in
    /// `language`; segment times are seconds from the first sample.
    func transcribe(_ samples: [Float], language: String) throws -> [TranscriptSegment]
}
