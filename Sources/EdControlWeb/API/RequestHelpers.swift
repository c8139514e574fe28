import EdControlEngine
import EdControlService
import EdControlStorage
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
            throw range.upperBound == Int.max ? Refusal(.invalid, "refusal_whole_number_from", .text(name), "\(range.lowerBound)")
                                              : Refusal(.invalid, "refusal_whole_number_range", .text(name), "\(range.lowerBound)", "\(range.upperBound)")
        }
        return number
    }
}

/// A date or time given in a query: a day (2026-11-25) or an ISO 8601 time.
struct GivenDate {
    var date: Date
    var hasTime: Bool

    init?(_ text: Substring?, name: String) throws {
        guard let text else { return nil }
        if let date = ISO8601DateFormatter().date(from: String(text)) {
            (self.date, hasTime) = (date, true)
            return
        }
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        day.timeZone = TimeZone(identifier: "UTC")
        guard let date = day.date(from: String(text)) else {
            throw Refusal(.invalid, "refusal_date", .text(name))
        }
        (self.date, hasTime) = (date, false)
    }
}

extension LessonQuery {
    /// The filters and order of a lesson list, as the API and the dashboard take them:
    /// `teacherId`, `status`, `flag`, `from` and `to` (the lesson's date; a day given as `to`
    /// counts whole), `q` (words of the title or the teacher's name) and `sort`.
    init(_ parameters: Parameters) throws {
        self.init()
        func nonEmpty(_ name: Substring) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : String($0) } }
        func one<T: RawRepresentable>(of values: [T], _ name: Substring) throws -> T? where T.RawValue == String {
            guard let text = nonEmpty(name) else { return nil }
            guard let value = values.first(where: { $0.rawValue == text }) else {
                throw Refusal(.invalid, "refusal_one_of", .text(String(name)), .text(values.map(\.rawValue).joined(separator: ", ")))
            }
            return value
        }
        teacherID = nonEmpty("teacherId")
        state = try one(of: Job.State.allCases, "status")
        flag = try one(of: [LessonSummary.Flag.ok, .review, .alert, .inconclusive], "flag")?.rawValue
        from = try GivenDate(nonEmpty("from")?[...], name: "from")?.date
        before = try GivenDate(nonEmpty("to")?[...], name: "to").map { $0.hasTime ? $0.date : $0.date.addingTimeInterval(86400) }
        search = nonEmpty("q").map { String($0.prefix(200)) }
        order = try one(of: Order.allCases, "sort") ?? .newest
    }
}
