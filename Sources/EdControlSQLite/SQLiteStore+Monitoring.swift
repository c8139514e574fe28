import EdControlEngine
import EdControlLab
import EdControlStorage
import Foundation
import GRDB

extension StoredLessonFeatures: StoredRecord { package static let databaseTableName = "lesson_features" }

extension SQLiteStore {
    public func saveFeatures(_ features: LessonFeatures, lessonID: String, schoolID: String, analysedAt: Date) async throws {
        let json = String(decoding: try JSONEncoder().encode(features), as: UTF8.self)
        try await database.write { db in
            try StoredLessonFeatures(lessonID: lessonID, schoolID: schoolID, analysedAt: analysedAt, features: json).save(db)
        }
    }

    public func features(schoolID: String?, analysedIn interval: DateInterval) async throws -> [LessonFeatures] {
        try await database.read { db in
            var query = StoredLessonFeatures.filter(Column("analysed_at") >= interval.start.timeIntervalSince1970
                                                    && Column("analysed_at") < interval.end.timeIntervalSince1970)
            if let schoolID { query = query.filter(Column("school_id") == schoolID) }
            return try query.order(Column("analysed_at")).fetchAll(db).compactMap {
                try? JSONDecoder().decode(LessonFeatures.self, from: Data($0.features.utf8))
            }
        }
    }
}
