import EdControlCore
import Foundation
import Hummingbird

/// `/lessons`: the school's lessons, newest first, with filters, pages, live analysis
/// progress and the upload form.
struct LessonsPage {
    let store: EdControlStore
    let pages: PageRenderer
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
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Model {
        var rows: [Row]
        var empty: Bool
        var summary: String
        var teachers: [Option]
        var states: [Option]
        var previous: String?
        var next: String?
        var canUpload: Bool
        var uploadTeachers: [Option]
        var maxUploadMB: Int64
        var liveText: String
        var uploadText: String
    }

    func add(to router: Router<APIContext>) {
        router.get("lessons", use: list)
    }

    @Sendable func list(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context)
        let t = pages.text(for: request)
        let parameters = request.uri.queryParameters
        var query = LessonQuery()
        query.teacherID = parameters["teacher"].flatMap { $0.isEmpty ? nil : String($0) }
        query.state = parameters["status"].flatMap { Job.State(rawValue: String($0)) }
        let page = max(1, parameters["page"].flatMap { Int($0) } ?? 1)
        query.limit = Self.pageSize
        query.offset = (page - 1) * Self.pageSize
        let (items, total) = try await store.lessons(schoolID: caller.schoolID, matching: query)
        let teachers = try await store.teachers(schoolID: caller.schoolID)
        let names = Dictionary(uniqueKeysWithValues: teachers.map { ($0.id, $0.name) })

        let rows = items.map { item in
            let lesson = item.lesson
            return Row(href: "/lessons/\(lesson.id)", title: lesson.title, teacher: lesson.teacherID.flatMap { names[$0] } ?? "—",
                       date: t.date(lesson.recordedAt ?? lesson.uploadedAt), duration: ReportCharts.formatClock(lesson.durationSeconds),
                       status: JobStatus(item.job, t), incidents: lesson.incidentCount.map(String.init) ?? "—",
                       flag: lesson.flag, flagText: lesson.flag.map { t["flag_\($0)"] })
        }
        func link(toPage number: Int) -> String {
            var items = ["page=\(number)"]
            if let teacher = query.teacherID { items.append("teacher=\(teacher)") }
            if let state = query.state { items.append("status=\(state.rawValue)") }
            return "/lessons?" + items.joined(separator: "&")
        }
        let teacherOptions = teachers.map { Option(value: $0.id, label: $0.name, selected: $0.id == query.teacherID) }
        let model = Model(
            rows: rows, empty: rows.isEmpty,
            summary: total == 0 ? "" : t.format("lessons_summary", query.offset + 1, query.offset + rows.count, total),
            teachers: teacherOptions,
            states: Job.State.allCases.map { Option(value: $0.rawValue, label: t["status_\($0.rawValue)"], selected: $0 == query.state) },
            previous: page > 1 ? link(toPage: page - 1) : nil,
            next: query.offset + rows.count < total ? link(toPage: page + 1) : nil,
            canUpload: caller.role >= .manager,
            uploadTeachers: teachers.map { Option(value: $0.id, label: $0.name, selected: false) },
            maxUploadMB: maxUploadBytes / 1_000_000, liveText: JobStatus.liveText(t),
            uploadText: PageRenderer.scriptJSON(["uploading": t["upload_uploading"], "checking": t["upload_checking"], "failed": t["upload_failed"],
                                                 "tooLarge": t["upload_too_large"], "done": t["upload_done"]]))
        return pages.render("lessons", title: t["lessons_title"], model: model, request: request, context: context)
    }
}
