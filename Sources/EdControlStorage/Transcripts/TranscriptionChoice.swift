import EdControlEngine
import Foundation

/// Whether and in which language lessons are transcribed: a school's default, which one
/// upload may override. `auto` detects each lesson's language, `off` makes no transcript, an
/// ISO 639-1 code (ru, en, …) gives the language.
public struct TranscriptionChoice: RawRepresentable, Codable, Sendable, Equatable, CustomStringConvertible {
    public let rawValue: String

    public static let automatic = TranscriptionChoice(checked: "auto")
    public static let off = TranscriptionChoice(checked: "off")

    private init(checked: String) { rawValue = checked }

    /// nil for anything but auto, off or a language Whisper knows.
    public init?(rawValue: String) {
        guard rawValue == "auto" || rawValue == "off" || WhisperTranscriber.knows(language: rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// What the dashboard offers (the API takes any language Whisper knows).
    public static let offered = ["auto", "ru", "en", "off"]

    /// What the analysis is asked; `forUpload` says whose choice it is (the upload's or the
    /// school's), for the report's note.
    public func request(forUpload: Bool) -> TranscriptionRequest {
        switch rawValue {
        case "auto": .detectLanguage
        case "off": .off(reason: forUpload ? Transcript.Why.switchedOffForUpload : Transcript.Why.switchedOffForSchool)
        default: .language(rawValue)
        }
    }
}
