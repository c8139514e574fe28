import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/lessons`: the school's lessons, newest first (or most serious first), with filters,
/// pages, live analysis progress and the upload form. A flagged lesson says why in a line
/// and links to its worst moment.
struct LessonsPage {
    let store: any LessonStore & TranscriptStore
    let pages: PageRenderer
    let reports: ReportCache
    let maxUploadBytes: Int64
    static let pageSize = 25

    struct Row {
        var href: String
        var title: String
        var teacher: String
        var date: String
        var duration: String
        var status: JobStatus
        var incidents: String
        var flag: String?
        var flagText: String?
        /// Why the lesson is flagged, and a link that plays its strongest incident.
        var reason: String?
        var worst: Link?
    }

    struct Link { var href: String; var label: String }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Model {
        var rows: [Row]
        var empty: Bool
        /// Nothing matches the filters (as opposed to no lessons at all).
        var noMatch: Bool
        var hasRows: Bool
        var summary: String
        var teachers: [Option]
        var states: [Option]
        var flags: [Option]
        var orders: [Option]
        var from: String
        var to: String
        var search: String
        var filtered: Bool
        var previous: String?
        var next: String?
        var export: String
        var canUpload: Bool
        var uploadTeachers: [Option]
        /// The school's transcription setting first (sent as nothing), then the other choices.
        var uploadTranscriptions: [Option]
        var maxUploadBytes: Int64
        /// What may be uploaded, and up to what size.
        var uploadIntro: String
        var liveText: String
        var uploadText: String
    }

    func add(to router: Router<APIContext>) {
        router.get("lessons", use: list)
    }

    /// The flag's reason, as the lesson's page says it, and a link that plays the strongest incident.
    static func why(_ report: LessonReport, lessonHref: String, teacherName: String?, _ t: InterfaceText) -> (String, Link?) {
        let reason = IncidentWords(t: t, words: t.chartWords, teacherName: teacherName).reason(report)
        guard let (index, strongest) = report.strongestIncident else { return (reason, nil) }
        let start = strongest.start
        return (reason, Link(href: "\(lessonHref)?t=\(Int(start))#incident-\(index)", label: t.format("lessons_worst", ClockTime.format(start))))
    }

    @Sendable func list(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .teacher)
        let t = pages.text(for: request)
        let parameters = request.uri.queryParameters
        var query = try LessonQuery(parameters)
        query.restrict(to: caller)
        let page = max(1, parameters["page"].flatMap { Int($0) } ?? 1)
        query.limit = Self.pageSize
        query.offset = (page - 1) * Self.pageSize
        let (items, total) = try await store.lessons(schoolID: caller.schoolID, matching: query)
        let teachers = try await store.teachers(of: caller)
        let schoolTranscription = try await store.transcriptionChoice(schoolID: caller.schoolID)
        let names = Dictionary(uniqueKeysWithValues: teachers.map { ($0.id, $0.name) })

        var rows: [Row] = []
        for item in items {
            let lesson = item.lesson
            var row = Row(href: "/lessons/\(lesson.id)", title: lesson.title, teacher: lesson.teacherID.flatMap { names[$0] } ?? "—",
                          date: t.lessonDate(lesson), duration: ClockTime.format(lesson.durationSeconds),
                          status: JobStatus(item.job, t), incidents: lesson.incidentCount.map(String.init) ?? "—",
                          flag: lesson.flag, flagText: lesson.flag.map { t["flag_\($0)"] })
            // Only flagged lessons are read for their reason: at most a page of reports, cached.
            if ["alert", "review"].contains(lesson.flag), let report = await reports.report(of: lesson) {
                (row.reason, row.worst) = Self.why(report, lessonHref: row.href, teacherName: lesson.teacherID.flatMap { names[$0] }, t)
            }
            rows.append(row)
        }
        // The filters as given (without the page), for the pager's and the export's links.
        let filters = ["teacherId", "status", "flag", "from", "to", "q", "sort"].compactMap { name -> String? in
            guard let value = parameters[Substring(name)], !value.isEmpty else { return nil }
            return name + "=" + PageRenderer.encoded(String(value))
        }
        func link(toPage number: Int) -> String { "/lessons?" + (["page=\(number)"] + filters).joined(separator: "&") }
        func options(_ values: [String], selected: String?, label: (String) -> String) -> [Option] {
            values.map { Option(value: $0, label: label($0), selected: $0 == selected) }
        }
        let model = Model(
            rows: rows, empty: rows.isEmpty && filters.isEmpty, noMatch: rows.isEmpty && !filters.isEmpty, hasRows: !rows.isEmpty,
            summary: total == 0 ? "" : t.format("lessons_summary", query.offset + 1, query.offset + rows.count, total),
            teachers: teachers.map { Option(value: $0.id, label: $0.name, selected: $0.id == query.teacherID) },
            states: options(Job.State.allCases.map(\.rawValue), selected: query.state?.rawValue) { t["status_\($0)"] },
            flags: options(["alert", "review", "ok", "inconclusive"], selected: query.flag) { t["flag_\($0)"] },
            orders: options(LessonQuery.Order.allCases.map(\.rawValue), selected: query.order.rawValue) { t["sort_\($0)"] },
            from: parameters["from"].map(String.init) ?? "", to: parameters["to"].map(String.init) ?? "",
            search: query.search ?? "", filtered: !filters.isEmpty,
            previous: page > 1 ? link(toPage: page - 1) : nil,
            next: query.offset + rows.count < total ? link(toPage: page + 1) : nil,
            export: "/api/v1/lessons.csv" + (filters.isEmpty ? "" : "?" + filters.joined(separator: "&")),
            canUpload: caller.role >= .manager,
            uploadTeachers: teachers.map { Option(value: $0.id, label: $0.name, selected: false) },
            uploadTranscriptions: [Option(value: "", label: t.format("upload_transcription_school", t.transcriptionName(schoolTranscription.rawValue)), selected: true)]
                + options(TranscriptionChoice.offered, selected: nil) { t.transcriptionName($0) },
            maxUploadBytes: maxUploadBytes, uploadIntro: t.format("upload_intro", t.orList(AcceptedFormats.names), Int(maxUploadBytes / 1_000_000)), liveText: JobStatus.liveText(t),
            uploadText: PageRenderer.scriptJSON(["uploading": t["upload_uploading"], "checking": t["upload_checking"], "failed": t["upload_failed"],
                                                 "tooLarge": t["upload_too_large"], "done": t["upload_done"]]))
        return pages.render("lessons", title: t["lessons_title"], model: model, request: request, context: context)
    }
}
