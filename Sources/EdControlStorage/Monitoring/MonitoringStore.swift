import EdControlEngine
import EdControlLab
import Foundation

/// The feature record of each analysed lesson, kept for drift monitoring. Deleted with the
/// lesson (it is derived from the lesson's recording).
public protocol MonitoringStore: Sendable {
    /// Stores (or replaces, after a re-analysis) the lesson's features.
    func saveFeatures(_ features: LessonFeatures, lessonID: String, schoolID: String, analysedAt: Date) async throws
    /// Features of lessons analysed in `interval`, of one school or (nil) of all.
    func features(schoolID: String?, analysedIn interval: DateInterval) async throws -> [LessonFeatures]
}

/// A lesson's features as a row of every SQL store.
package struct StoredLessonFeatures: Codable, Sendable {
    package var lessonID: String
    package var schoolID: String
    package var analysedAt: Date
    /// `LessonFeatures` as JSON.
    package var features: String

    package init(lessonID: String, schoolID: String, analysedAt: Date, features: String) {
        self.lessonID = lessonID
        self.schoolID = schoolID
        self.analysedAt = analysedAt
        self.features = features
    }
}
