import EdControlEngine
import EdControlStorage
import Foundation
import PostgresKit

// MARK: TranscriptStore
//
// PostgreSQL's own text search, with the `simple` configuration over text folded in Swift
// (`searchFolded`: case in every alphabet, diacritics, ё as е), so both stores fold exactly
// alike and Russian and English lines are cut into the same words. `simple` keeps words as
// said (no stemming), and every searched word is a prefix (`:*`), as in SQLite's FTS5:
// "урок" finds "урока" and "уроками". pg_trgm was the other choice: it matches inside words
// too ("рок" would find "урок"), which is not what a search for words means.

extension PostgresStore {
    public func indexTranscript(_ transcript: Transcript?, lessonID: String, schoolID: String) async throws {
        try await transaction { db in
            try await db.execute("DELETE FROM transcript_line WHERE lesson_id = \(bind: lessonID)")
            // The lesson may have been erased while it was analysed: nothing of it is indexed then.
            guard let transcript, transcript.analysed,
                  try await db.value("SELECT id FROM lesson WHERE id = \(bind: lessonID) AND school_id = \(bind: schoolID) FOR SHARE", as: String.self) != nil
            else { return }
            for segment in transcript.segments {
                try await db.execute("""
                    INSERT INTO transcript_line (lesson_id, school_id, start, "end", speaker, role, text, folded)
                    VALUES (\(bind: lessonID), \(bind: schoolID), \(bind: segment.start), \(bind: segment.end), \(bind: segment.speaker),
                            \(bind: segment.role?.rawValue), \(bind: segment.text), to_tsvector('simple', \(bind: segment.text.searchFolded)))
                    """)
            }
        }
    }

    public func searchTranscripts(schoolID: String, query: TranscriptSearchQuery, lessonID: String?, limit: Int) async throws -> [TranscriptHit] {
        guard let match = query.tsquery else { return [] }
        return try await reading { db in
            let lesson: SQLQueryString = lessonID.map { "AND line.lesson_id = \(bind: $0)" } ?? ""
            // The newest lessons first, and within a lesson in the order said: a manager
            // reads results as a history of the school, not as a ranking.
            let rows = try await db.raw("""
                SELECT line.lesson_id, lesson.title, \(unsafeRaw: LessonQuery.lessonDateSQL) AS lesson_date, teacher.name AS teacher_name,
                       line.start, line."end", line.speaker, line.role, line.text
                FROM transcript_line AS line JOIN lesson ON lesson.id = line.lesson_id LEFT JOIN teacher ON teacher.id = lesson.teacher_id
                WHERE line.folded @@ to_tsquery('simple', \(bind: match)) AND line.school_id = \(bind: schoolID) AND lesson.school_id = \(bind: schoolID)
                      \(lesson)
                ORDER BY lesson_date DESC, line.lesson_id, line.start
                LIMIT \(bind: limit)
                """).all()
            return try rows.map { row in
                TranscriptHit(lessonID: try row.decode(column: "lesson_id", as: String.self), lessonTitle: try row.decode(column: "title", as: String.self),
                              lessonDate: try row.decode(column: "lesson_date", as: Date.self),
                              teacherName: try row.decode(column: "teacher_name", as: String?.self),
                              start: try row.decode(column: "start", as: Double.self), end: try row.decode(column: "end", as: Double.self),
                              speaker: try row.decode(column: "speaker", as: String?.self), role: try row.decode(column: "role", as: String?.self),
                              text: try row.decode(column: "text", as: String.self))
            }
        }
    }

    public func transcriptionChoice(schoolID: String) async throws -> TranscriptionChoice {
        try await school(id: schoolID)?.transcription ?? .automatic
    }

    public func setTranscriptionChoice(_ choice: TranscriptionChoice, schoolID: String) async throws {
        try await reading { db in try await db.execute("UPDATE school SET transcription = \(bind: choice.rawValue) WHERE id = \(bind: schoolID)") }
    }
}

extension TranscriptSearchQuery {
    /// Every word, folded as the index is, as a prefix that must occur: `'урок':* & 'explain':*`.
    /// Each word is quoted (a quote inside doubled, a backslash escaped), so nothing in it is query syntax; nil
    /// when no word is left.
    var tsquery: String? {
        let terms = words.map(\.searchFolded).filter { !$0.isEmpty }.map { "'" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "':*" }
        return terms.isEmpty ? nil : terms.joined(separator: " & ")
    }
}
