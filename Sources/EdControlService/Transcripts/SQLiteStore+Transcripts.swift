import EdControlCore
import Foundation
import GRDB

extension SQLiteStore {
    public func indexTranscript(_ transcript: Transcript?, lessonID: String, schoolID: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM transcript_line WHERE lesson_id = ?", arguments: [lessonID])
            // The lesson may have been erased while it was analysed: nothing of it is indexed then.
            guard let transcript, transcript.analysed,
                  try Lesson.filter(Column("id") == lessonID && Column("school_id") == schoolID).fetchCount(db) > 0 else { return }
            let insert = try db.makeStatement(sql: """
                INSERT INTO transcript_line (text, lesson_id, school_id, start, end, speaker, role) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for segment in transcript.segments {
                try insert.execute(arguments: [segment.text, lessonID, schoolID, segment.start, segment.end, segment.speaker, segment.role?.rawValue])
            }
        }
    }

    public func searchTranscripts(schoolID: String, query: TranscriptSearchQuery, lessonID: String?, limit: Int) async throws -> [TranscriptHit] {
        try await database.read { db in
            var sql = """
                SELECT line.lesson_id, lesson.title, line.start, line.end, line.speaker, line.role, line.text
                FROM transcript_line AS line JOIN lesson ON lesson.id = line.lesson_id
                WHERE transcript_line MATCH ? AND line.school_id = ? AND lesson.school_id = ?
                """
            var arguments: StatementArguments = [query.match, schoolID, schoolID]
            if let lessonID {
                sql += " AND line.lesson_id = ?"
                arguments += [lessonID]
            }
            // Within a lesson, in the order said; across lessons, best match first.
            sql += lessonID == nil ? " ORDER BY rank, lesson.uploaded_at DESC, line.start" : " ORDER BY line.start"
            sql += " LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                TranscriptHit(lessonID: row[0], lessonTitle: row[1], start: row[2], end: row[3], speaker: row[4], role: row[5], text: row[6])
            }
        }
    }

    public func transcriptionChoice(schoolID: String) async throws -> TranscriptionChoice {
        try await database.read { db in
            try School.fetchOne(db, key: schoolID)?.transcription ?? .automatic
        }
    }

    public func setTranscriptionChoice(_ choice: TranscriptionChoice, schoolID: String) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE school SET transcription = ? WHERE id = ?", arguments: [choice.rawValue, schoolID])
        }
    }
}
