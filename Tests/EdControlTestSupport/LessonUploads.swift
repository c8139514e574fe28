@testable import EdControlService
@testable import EdControlStorage
import Foundation
import NIOCore

extension LessonService {
    /// A recording uploaded as the API receives one: streamed in pieces, checked, stored as a
    /// lesson with its first job.
    package func upload(file: URL, details: Details, by caller: Principal) async throws -> LessonWithJob {
        let bytes = try Data(contentsOf: file)
        let pieces = stride(from: 0, to: bytes.count, by: 65_536).map { ByteBuffer(bytes: bytes[$0..<min($0 + 65_536, bytes.count)]) }
        return try await upload(Pieces(pieces: pieces), details: details, by: caller)
    }
}
