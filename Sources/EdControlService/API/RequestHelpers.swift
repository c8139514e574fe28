import Foundation
import Hummingbird

/// `limit` and `offset` of a paginated list, checked.
struct Paging {
    var limit: Int
    var offset: Int

    init(_ request: Request, defaultLimit: Int, maxLimit: Int) throws {
        let query = request.uri.queryParameters
        limit = try Self.integer(query["limit"], name: "limit", default: defaultLimit, range: 1...maxLimit)
        offset = try Self.integer(query["offset"], name: "offset", default: 0, range: 0...Int.max)
    }

    static func integer(_ text: Substring?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw HTTPError(.badRequest, message: "\(name) must be a whole number from \(range.lowerBound)\(range.upperBound == Int.max ? " up" : " to \(range.upperBound)")")
        }
        return number
    }
}

extension LessonStore {
    /// The lesson, if it is in the caller's school; otherwise 404, so that ids reveal
    /// nothing across schools.
    func lesson(_ id: String, of caller: Principal) async throws -> LessonWithJob {
        guard let found = try await lesson(id: id, schoolID: caller.schoolID) else {
            throw HTTPError(.notFound, message: "there is no lesson \(id) in your school")
        }
        return found
    }
}

extension JSONEncoder {
    /// How the API writes JSON (responses and webhook events): ISO 8601 dates, sorted keys.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
