import EdControlStorage
import Foundation

// What users type about transcripts, read and refused in their words. (The types are the
// store's; reading users' input is the service's.)

extension TranscriptSearchQuery {
    /// The words of a search box's text; refused when it has none or too many.
    public init(_ text: String) throws {
        let words = text.lowercased().components(separatedBy: CharacterSet.alphanumerics.inverted).filter { !$0.isEmpty }
        guard !words.isEmpty else {
            throw Refusal(.invalid, "refusal_search_no_words")
        }
        guard words.count <= 10, words.allSatisfy({ $0.count <= 50 }) else {
            throw Refusal(.invalid, "refusal_search_too_long")
        }
        self.init(words: words)
    }

    /// Runs the search for `caller`'s school (only in `lessonID` if given) and records it in
    /// the audit log: what the API, the search page and a lesson's page all do.
    package func hits(lessonID: String?, limit: Int, for caller: Principal, in store: TranscriptStore & AuditStore) async throws -> [TranscriptHit] {
        let hits = try await store.searchTranscripts(schoolID: caller.schoolID, query: self, lessonID: lessonID, limit: limit)
        try await store.audit(caller, "transcripts.search", lessonID.map { "lesson \($0)" } ?? "school", detail: "\(hits.count) lines")
        return hits
    }
}

extension TranscriptionChoice {
    /// Parses a value given by a user, or says what is wrong with it.
    public static func parse(_ text: String, field: String) throws -> TranscriptionChoice {
        guard let choice = TranscriptionChoice(rawValue: text.lowercased()) else {
            throw Refusal(.invalid, "refusal_transcription_choice", .text(field), .text(text))
        }
        return choice
    }
}
