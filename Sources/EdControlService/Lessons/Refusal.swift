import EdControlEngine
import EdControlStorage
import Foundation

/// A request the service refuses: what kind of refusal it is, and the sentence that says what
/// is wrong and what to do, as a key of the interface text with its values, so that each
/// caller reads it in their own language (the dashboard's reader in theirs, an API client in
/// English unless it asks otherwise). The service knows no HTTP: `RefusalMiddleware` answers
/// a refusal with its kind's status and its sentence at the edge.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public enum Kind: Sendable, Equatable {
        /// The request itself is wrong (a value out of range, a malformed date).
        case invalid
        case notFound
        /// The request cannot be done in the lesson's or teacher's present state.
        case conflict
        /// What the request needs has been deleted.
        case gone
        /// The file is not a recording of an accepted format.
        case unsupportedMedia
        /// Understood, but its content cannot be used (a recording too short, an unknown teacher).
        case unprocessable
        case tooLarge
        case tooSlow
    }

    /// A value in the sentence.
    public enum Value: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
        /// As it is: a name, a number, an id.
        case text(String)
        /// A key of the interface text, said in the reader's language.
        case word(String)
        /// The accepted recording formats, listed in the reader's language ("…, FLAC or AMR").
        case acceptedFormats

        public init(stringLiteral value: String) { self = .text(value) }
    }

    public let kind: Kind
    /// A key of the interface text (Text/<language>.json) whose text has a `%@` per value.
    public let key: String
    public let values: [Value]

    public init(_ kind: Kind, _ key: String, _ values: Value...) {
        self.init(kind, key, values: values)
    }

    public init(_ kind: Kind, _ key: String, values: [Value]) {
        self.kind = kind
        self.key = key
        self.values = values
    }

    /// A conflict with what is stored, in the reader's language where it has a key.
    package init(_ conflict: StoreConflict) {
        self.init(.conflict, conflict.key ?? "refusal_as_said", values: conflict.key == nil ? [.text(conflict.message)] : [])
    }

    /// The sentence in `text`'s language.
    package func sentence(in text: InterfaceText) -> String {
        let words = values.map { value in
            switch value {
            case .text(let text): text
            case .word(let key): text[key]
            case .acceptedFormats: text.orList(AcceptedFormats.names)
            }
        }
        return String(format: text[key], locale: text.language.locale, arguments: words)
    }

    /// In English: for logs, and for callers that name no language.
    public var description: String { sentence(in: .english) }
    public var errorDescription: String? { description }
}

extension Refusal {
    /// A recording the analysis cannot take, in the uploader's terms: their file name, not
    /// a path on the server.
    static func media(_ error: MediaError, file: String) -> Refusal {
        switch error {
        case .fileNotFound:
            return Refusal(.gone, "refusal_file_missing", .text(file))
        case .emptyFile:
            return Refusal(.unsupportedMedia, "refusal_file_empty", .text(file))
        case .notMedia(_, let detail):
            return Refusal(.unsupportedMedia, "refusal_not_media", .text(file), .text(detail), .acceptedFormats)
        case .formatNotAccepted(_, let format):
            switch AcceptedFormats.RefusedKind(format: format) {
            case .picture(let name):
                return Refusal(.unsupportedMedia, "refusal_picture", .text(file), .word("format_picture"), .text(name.map { " (\($0))" } ?? ""), .acceptedFormats)
            case .hlsPlaylist: return namingOtherFiles(file, "format_hls", "")
            case .dashManifest: return namingOtherFiles(file, "format_dash", "")
            case .concatList: return namingOtherFiles(file, "format_concat", "")
            case .sessionDescription: return namingOtherFiles(file, "format_sdp", "")
            case .other(let name): return namingOtherFiles(file, "format_other", " (\(name))")
            }
        case .noAudioTrack(_, let hasVideo):
            return Refusal(.unprocessable, hasVideo ? "refusal_no_audio" : "refusal_no_tracks", .text(file))
        case .tooShort(_, let seconds):
            return Refusal(.unprocessable, "refusal_too_short", .text(file), .text(String(format: "%.2f", seconds)))
        case .undecodable(_, let detail):
            return Refusal(.unsupportedMedia, "refusal_audio_undecodable", .text(file), .text(detail))
        case .videoUndecodable(_, let detail):
            return Refusal(.unsupportedMedia, "refusal_video_undecodable", .text(file), .text(detail))
        case .toolMissing(let tool):
            return Refusal(.unsupportedMedia, "refusal_tool_missing", .text(tool))
        }
    }

    private static func namingOtherFiles(_ file: String, _ kind: String, _ detail: String) -> Refusal {
        Refusal(.unsupportedMedia, "refusal_names_other_files", .text(file), .word(kind), .text(detail), .acceptedFormats)
    }
}
