import EdControlEngine
import Foundation

/// One line of a transcript that matched a search.
public struct TranscriptHit: Codable, Sendable, Equatable {
    public var lessonID: String
    public var lessonTitle: String
    /// When the lesson was given (its upload time when that is not known).
    public var lessonDate: Date
    /// The lesson's teacher, if one was given.
    public var teacherName: String?
    public var start: Double
    public var end: Double
    public var speaker: String?
    public var role: String?
    public var text: String

    package init(lessonID: String, lessonTitle: String, lessonDate: Date, teacherName: String? = nil, start: Double, end: Double,
                 speaker: String? = nil, role: String? = nil, text: String) {
        self.lessonID = lessonID
        self.lessonTitle = lessonTitle
        self.lessonDate = lessonDate
        self.teacherName = teacherName
        self.start = start
        self.end = end
        self.speaker = speaker
        self.role = role
        self.text = text
    }
}

/// What users type in the search box, as an FTS5 query: every word must occur, each as a
/// prefix, so "урок" also finds "урока" and "уроками" and "explain" finds "explained" (SQLite
/// has no Russian stemmer; prefixes cover most of Russian inflection). Case and diacritics are
/// folded by the index's tokenizer (ё matches е).
public struct TranscriptSearchQuery: Sendable, Equatable {
    public let words: [String]

    /// Words as `init(_:)` (the service's) reads them from what users type.
    public init(words: [String]) { self.words = words }

    /// Each word quoted (so nothing in it is FTS5 syntax) and marked as a prefix.
    public var match: String { words.map { "\"\($0)\"*" }.joined(separator: " ") }

    /// `text` cut into runs, each marked if it is a word the search matched (a word that
    /// begins with one searched for, case and ё/е folded as the index folds them), so a
    /// page can highlight what was found.
    public func highlighted(_ text: String) -> [(text: String, matched: Bool)] {
        let folded = words.map(\.searchFolded)
        var runs: [(text: String, matched: Bool)] = []
        var word = ""
        func close() {
            guard !word.isEmpty else { return }
            let matched = folded.contains { word.searchFolded.hasPrefix($0) }
            if !matched, let last = runs.last, !last.matched { runs[runs.count - 1].text += word } else { runs.append((word, matched)) }
            word = ""
        }
        for character in text {
            if character.isLetter || character.isNumber {
                word.append(character)
            } else {
                close()
                if let last = runs.last, !last.matched { runs[runs.count - 1].text.append(character) } else { runs.append((String(character), false)) }
            }
        }
        close()
        return runs
    }
}

/// The transcripts of a school's lessons, searchable.
public protocol TranscriptStore: Sendable {
    /// Replaces the lesson's indexed transcript (none when `transcript` is nil or not analysed).
    func indexTranscript(_ transcript: Transcript?, lessonID: String, schoolID: String) async throws
    /// Matching lines, best first; only in `lessonID` if given.
    func searchTranscripts(schoolID: String, query: TranscriptSearchQuery, lessonID: String?, limit: Int) async throws -> [TranscriptHit]
    func transcriptionChoice(schoolID: String) async throws -> TranscriptionChoice
    func setTranscriptionChoice(_ choice: TranscriptionChoice, schoolID: String) async throws
}
