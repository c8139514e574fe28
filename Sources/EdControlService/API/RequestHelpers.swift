import EdControlEngine
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

extension LessonStore {
    /// The school's teachers the caller may see (a teacher: themselves).
    func teachers(of caller: Principal) async throws -> [Teacher] {
        try await teachers(schoolID: caller.schoolID).filter { caller.sees(teacher: $0.id) }
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

extension LessonStore {
    /// The lesson, if it is in the caller's school (and, for a teacher, theirs); otherwise
    /// 404, so that ids reveal nothing across schools or teachers.
    func lesson(_ id: String, of caller: Principal) async throws -> LessonWithJob {
        guard let found = try await lesson(id: id, schoolID: caller.schoolID),
              caller.sees(teacher: found.lesson.teacherID) else {
            throw Refusal(.notFound, "refusal_no_lesson", .text(id))
        }
        return found
    }

    /// The teacher, if they are in the caller's school (and, for a teacher, themselves);
    /// otherwise 404.
    func teacher(_ id: String, of caller: Principal) async throws -> Teacher {
        guard let teacher = try await teacher(id: id, schoolID: caller.schoolID), caller.sees(teacher: teacher.id) else {
            throw HTTPError(.notFound, message: "there is no teacher \(id) in your school")
        }
        return teacher
    }
}

extension LessonQuery {
    /// A teacher's lists hold their own lessons only, whatever the filters ask.
    mutating func restrict(to caller: Principal) {
        if let own = caller.ownTeacherID { teacherID = own }
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
