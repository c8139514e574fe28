import EdControlEngine
import EdControlStorage
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
                INSERT INTO transcript_line (folded, text, lesson_id, school_id, start, end, speaker, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for segment in transcript.segments {
                try insert.execute(arguments: [segment.text.searchFolded, segment.text, lessonID, schoolID, segment.start, segment.end, segment.speaker, segment.role?.rawValue])
            }
        }
    }

    public func searchTranscripts(schoolID: String, query: TranscriptSearchQuery, lessonID: String?, limit: Int) async throws -> [TranscriptHit] {
        try await database.read { db in
            var sql = """
                SELECT line.lesson_id, lesson.title, \(LessonQuery.lessonDateSQL), teacher.name,
                       line.start, line.end, line.speaker, line.role, line.text
                FROM transcript_line AS line JOIN lesson ON lesson.id = line.lesson_id LEFT JOIN teacher ON teacher.id = lesson.teacher_id
                WHERE transcript_line MATCH ? AND line.school_id = ? AND lesson.school_id = ?
                """
            var arguments: StatementArguments = [query.match, schoolID, schoolID]
            if let lessonID {
                sql += " AND line.lesson_id = ?"
                arguments += [lessonID]
            }
            // The newest lessons first, and within a lesson in the order said: a manager
            // reads results as a history of the school, not as a ranking.
            sql += " ORDER BY \(LessonQuery.lessonDateSQL) DESC, line.lesson_id, line.start"
            sql += " LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                TranscriptHit(lessonID: row[0], lessonTitle: row[1], lessonDate: Date(timeIntervalSince1970: row[2]), teacherName: row[3],
                              start: row[4], end: row[5], speaker: row[6], role: row[7], text: row[8])
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
