import EdControlEngine
import EdControlReports
import EdControlStorage
import Foundation

/// Confirmed and judged incidents: a reviewer precision.
public struct JudgedIncidents: Codable, Sendable, Equatable {
    public var judged = 0
    public var confirmed = 0

    public init(judged: Int = 0, confirmed: Int = 0) {
        self.judged = judged
        self.confirmed = confirmed
    }

    public var precision: Double? { judged > 0 ? Double(confirmed) / Double(judged) : nil }

    mutating func add(_ verdict: IncidentReview.Verdict) {
        judged += 1
        if verdict == .confirmed { confirmed += 1 }
    }

    mutating func add(_ other: JudgedIncidents) {
        judged += other.judged
        confirmed += other.confirmed
    }
}

/// The pilot's business figures for one school, month by month (a lesson counts in the
/// month it took place: recorded, else uploaded): how many lessons were analysed, how many
/// were flagged, how often reviewers confirmed the flagged incidents at each flag level, how
/// long it took from upload to a reviewer's verdict, and the manager time saved.
///
/// The time saved is an estimate by a model stated here and on the page: without EdControl a
/// manager watches every analysed lesson through; with it, only each incident of the flagged
/// lessons with `contextSeconds` around it (half before, half after).
public struct PilotFigures: Codable, Sendable, Equatable {
    public struct Month: Codable, Sendable, Equatable {
        /// "2026-11".
        public var month: String
        public var lessons: Int
        public var lessonsAnalysed: Int
        /// Analysed lessons by flag: ok, review, alert, inconclusive (nothing to judge).
        public var flags: [String: Int]
        /// Flagged "review" or "alert".
        public var lessonsFlagged: Int
        public var flaggedShare: Double?
        /// Reviewer verdicts on incidents of lessons flagged "review" and "alert".
        public var precisionByFlag: [String: JudgedIncidents]
        public var lessonsWithVerdict: Int
        /// Median over those lessons of the minutes from upload to the first verdict.
        public var medianMinutesToVerdict: Double?
        public var minutesRecorded: Double
        public var minutesToWatchIncidents: Double
        public var minutesSaved: Double
    }

    public var contextSeconds: Double
    public var months: [Month]

    public static let flagLevels = ["ok", "review", "alert", "inconclusive"]
    static let flagged: Set = ["review", "alert"]

    /// - Parameters:
    ///   - months: the months to report, as "YYYY-MM", in order;
    ///   - incidents: the incidents' spans of a flagged lesson's current report.
    public init(months: [String], lessons: [Lesson], reviews: [IncidentReview], incidents: (Lesson) -> [TimeSpan],
                contextSeconds: Double = 60) {
        self.contextSeconds = contextSeconds
        let reviewsByLesson = Dictionary(grouping: reviews, by: \.lessonID)
        let lessonsByMonth = Dictionary(grouping: lessons) { Self.month(of: $0.recordedAt ?? $0.uploadedAt) }
        self.months = months.map { month in
            let lessons = lessonsByMonth[month] ?? []
            let analysed = lessons.filter { $0.flag != nil }
            var flags = Dictionary(uniqueKeysWithValues: Self.flagLevels.map { ($0, 0) })
            var precision = ["review": JudgedIncidents(), "alert": JudgedIncidents()]
            var minutesToVerdict: [Double] = []
            var toWatch = 0.0
            for lesson in analysed {
                let flag = lesson.flag ?? "ok"
                flags[flag, default: 0] += 1
                let verdicts = reviewsByLesson[lesson.id] ?? []
                for review in verdicts { precision[flag]?.add(review.verdict) }
                if let first = verdicts.map(\.reviewedAt).min() { minutesToVerdict.append(first.timeIntervalSince(lesson.uploadedAt) / 60) }
                if Self.flagged.contains(flag) {
                    toWatch += incidents(lesson).map { min(lesson.durationSeconds, $0.duration + contextSeconds) }.reduce(0, +) / 60
                }
            }
            let recorded = analysed.map(\.durationSeconds).reduce(0, +) / 60
            let flagged = Self.flagged.map { flags[$0] ?? 0 }.reduce(0, +)
            return Month(month: month, lessons: lessons.count, lessonsAnalysed: analysed.count, flags: flags, lessonsFlagged: flagged,
                         flaggedShare: analysed.isEmpty ? nil : Double(flagged) / Double(analysed.count), precisionByFlag: precision,
                         lessonsWithVerdict: minutesToVerdict.count, medianMinutesToVerdict: Self.median(minutesToVerdict),
                         minutesRecorded: recorded, minutesToWatchIncidents: toWatch, minutesSaved: max(0, recorded - toWatch))
        }
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func month(of date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }

    /// The first instant of "YYYY-MM", nil if it is not such a month.
    package static func start(of month: String) -> Date? {
        let parts = month.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let number = Int(parts[1]),
              (1...12).contains(number), year >= 1970 else { return nil }
        return calendar.date(from: DateComponents(year: year, month: number, day: 1))
    }

    /// The months from `first` to `last`, both included ("YYYY-MM"); refused past 36.
    public static func months(from first: String, to last: String) throws -> [String] {
        guard let firstStart = start(of: first), let lastStart = start(of: last), firstStart <= lastStart else {
            throw Refusal(.invalid, "refusal_months", .text(first), .text(last))
        }
        var months: [String] = []
        var current = firstStart
        while current <= lastStart {
            months.append(month(of: current))
            guard months.count <= 36 else { throw Refusal(.invalid, "refusal_months_too_many") }
            current = calendar.date(byAdding: .month, value: 1, to: current)!
        }
        return months
    }

    /// The last `count` months up to the one of `now`.
    public static func recentMonths(_ count: Int = 6, now: Date = Date()) -> [String] {
        let current = start(of: month(of: now))!
        return (0..<count).reversed().map { month(of: calendar.date(byAdding: .month, value: -$0, to: current)!) }
    }

    /// The instant the month after `month` starts.
    static func end(of month: String) -> Date? {
        start(of: month).flatMap { calendar.date(byAdding: .month, value: 1, to: $0) }
    }
}

/// The pilot figures of a school from the store and the lessons' reports.
public struct PilotReporter: Sendable {
    let store: any LessonStore & ReviewStore
    let files: any LessonFiles

    public init(store: EdControlStore, files: any LessonFiles) {
        self.store = store
        self.files = files
    }

    public func figures(schoolID: String, months: [String], contextSeconds: Double = 60) async throws -> PilotFigures {
        guard let first = months.first.flatMap(PilotFigures.start), let last = months.last.flatMap(PilotFigures.end) else {
            return PilotFigures(months: [], lessons: [], reviews: [], incidents: { _ in [] }, contextSeconds: contextSeconds)
        }
        var query = LessonQuery()
        (query.from, query.before, query.order, query.limit) = (first, last, .oldest, 1000)
        var lessons: [Lesson] = []
        while true {
            let page = try await store.lessons(schoolID: schoolID, matching: query)
            lessons += page.items.map(\.lesson)
            query.offset += page.items.count
            if page.items.isEmpty || query.offset >= page.total { break }
        }
        let reviews = try await store.reviews(schoolID: schoolID)
        // The overview is a small file written beside report.json; it has the incidents.
        var incidents: [String: [TimeSpan]] = [:]
        for lesson in lessons {
            incidents[lesson.id] = await files.overview(of: lesson)?.incidents.map { TimeSpan(start: $0.start, end: $0.end) }
        }
        return PilotFigures(months: months, lessons: lessons, reviews: reviews, incidents: { incidents[$0.id] ?? [] }, contextSeconds: contextSeconds)
    }
}
