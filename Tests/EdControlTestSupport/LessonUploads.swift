@testable import EdControlService
@testable import EdControlStorage
import Foundation

extension LessonService {
    /// A recording uploaded as the API receives one: streamed in pieces, checked, stored as a
    /// lesson with its first job.
    package func upload(file: URL, details: Details, by caller: Principal) async throws -> LessonWithJob {
        try await upload(Pieces(cutting: try Data(contentsOf: file), every: 65_536), details: details, by: caller)
    }
}
