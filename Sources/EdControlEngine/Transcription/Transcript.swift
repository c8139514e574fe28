import Foundation

/// What was said in a lesson (report.json's `transcript`): the language, the model that heard
/// it, and the words in segments of one speaker each — or, when nothing was transcribed, why.
public struct Transcript: Codable, Sendable, Equatable {
    public var analysed: Bool
    /// Why there is no transcript, or what to keep in mind reading it.
    public var note: String?
    /// ISO 639-1 code ("ru", "en"); nil when nothing was transcribed.
    public var language: String?
    /// How sure the language detection was (0…1); nil when the language was given.
    public var languageProbability: Double?
    /// The model's id and version, e.g. "whisper-base 1.0.0".
    public var model: String?
    public var segments: [TranscriptSegment]

    public init(language: String, languageProbability: Double?, model: String, segments: [TranscriptSegment], note: String? = nil) {
        analysed = true
        self.note = note
        self.language = language
        self.languageProbability = languageProbability
        self.model = model
        self.segments = segments
    }

    /// Why a transcript was not made, as reports say it (the dashboard says these in its
    /// reader's language).
    public enum Why {
        public static let switchedOffForUpload = "transcription is switched off for this upload"
        public static let switchedOffForSchool = "transcription is switched off for this school"
        public static let switchedOffForAnalysis = "transcription was switched off for this analysis (--no-transcript)"
        public static let configurationPredatesTranscription = "the analysis configuration predates transcription and names no speech-to-text model; register one made by `edcontrol config` to get transcripts"
        /// Followed by the seconds of speech found and " s of speech".
        public static let noSpeechPrefix = "no speech to transcribe: the diarization found "
    }

    public static func notAnalysed(_ reason: String) -> Transcript {
        var transcript = Transcript(language: "", languageProbability: nil, model: "", segments: [], note: reason)
        transcript.analysed = false
        transcript.language = nil
        transcript.model = nil
        return transcript
    }

    /// The whole text, a segment a line.
    public var text: String { segments.map(\.text).joined(separator: "\n") }
}

public struct TranscriptSegment: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    /// The diarization's speaker who said it; nil outside any speaker's turn.
    public var speaker: String?
    public var role: SpeakerRole?
    public var text: String
    /// Each word with its time, where the model gave them.
    public var words: [TranscriptWord]?

    public init(start: Double, end: Double, speaker: String? = nil, role: SpeakerRole? = nil, text: String, words: [TranscriptWord]? = nil) {
        self.start = start
        self.end = end
        self.speaker = speaker
        self.role = role
        self.text = text
        self.words = words
    }
}

public struct TranscriptWord: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    /// As the model wrote it, punctuation included.
    public var text: String

    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
}

/// Speech to text, one stage of the analysis.
public protocol Transcribing {
    /// The model's id and version, as reports name it.
    var modelName: String { get }
    /// The language most likely spoken in `samples` (16 kHz mono) and its probability.
    func detectLanguage(_ samples: [Float]) throws -> (language: String, probability: Double)
    /// Transcribes `samples` (16 kHz mono, any length: it is read in 30-s windows) in
    /// `language`; segment and word times are seconds from the first sample.
    func transcribe(_ samples: [Float], language: String) throws -> [TranscriptSegment]
}

extension Transcript {
    /// The words of a text, as searches, lexicons and word error rates count them: lower case; letters, digits and the apostrophes and
    /// hyphens inside words kept; everything else a separator; ё as е (Russian texts write
    /// either for the same word).
    public static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = ""
        func finish() {
            let word = current.trimmingCharacters(in: CharacterSet(charactersIn: "'’-"))
            if !word.isEmpty { words.append(word) }
            current = ""
        }
        for character in text.lowercased().replacingOccurrences(of: "ё", with: "е") {
            if character.isLetter || character.isNumber || character == "'" || character == "’" || character == "-" {
                current.append(character == "’" ? "'" : character)
            } else {
                finish()
            }
        }
        finish()
        return words
    }
}
