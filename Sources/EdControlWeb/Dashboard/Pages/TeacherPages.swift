import EdControlEngine
import EdControlReports
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/teachers`: the school's teachers (and adding one); `/teachers/<id>`: a teacher's
/// lessons over time with trend charts and their voice profile's status.
struct TeacherPages {
    let store: any LessonStore & JobQueue & LTIStore & AuditStore
    let pages: PageRenderer
    /// Imports a course's instructors from the LMS (admins, on the list's page).
    let courseTeachers: LTICourseTeachers

    /// A teacher beside the others: how many lessons, how often flagged, incidents, talk
    /// share and which way their incidents go.
    struct TeacherRow {
        var href: String
        var name: String
        var lessons: String
        var alerts: String
        var incidents: String
        var talk: String
        var trend: String
        var trendClass: String
        var voiceProfile: String
    }

    struct CourseRow: Decodable {
        var platform: String
        var course: String
        var title: String
    }

    struct ListModel {
        var teachers: [TeacherRow]
        var empty: Bool
        var canAdd: Bool
        var error: String?
        var notice: String?
        /// The LMS courses whose instructors an admin can import.
        var courses: [CourseRow]
        var hasCourses: Bool
    }

    struct Chart { var title: String; var svg: String }
    struct LessonRow {
        var href: String
        var title: String
        var date: String
        var duration: String
        var incidents: String
        var perHour: String
        var talk: String
        var negative: String
        var flag: String?
        var flagText: String?
    }

    struct DetailModel {
        var name: String
        /// A teacher's own page, which has no list of teachers above it.
        var ownPage: Bool
        var voiceProfile: String
        /// The latest voice enrolment while it runs, or if it failed.
        var enrolment: JobStatus?
        var liveText: String
        var enrolled: Bool
        var summary: String
        var charts: [Chart]
        var lessons: [LessonRow]
        var empty: Bool
    }

    struct NewTeacher: Decodable { var name: String }

    func add(to router: Router<APIContext>) {
        router.get("teachers") { request, context in try await list(request, context, error: nil) }
        router.post("teachers/import") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            let body = String(buffer: try await request.body.collect(upTo: 64 << 10))
            guard let form = try? URLEncodedFormDecoder().decode(CourseRow.self, from: body) else {
                return try await list(request, context, error: t["teachers_import_invalid"])
            }
            do {
                let imported = try await courseTeachers.importTeachers(platformID: form.platform, contextID: form.course, schoolID: caller.schoolID,
                                                                      by: caller.tokenName)
                return try await list(request, context, error: nil, notice: t.format("teachers_imported", form.title, "\(imported.created)", "\(imported.matched)"))
            } catch let refusal as LTICourseTeachers.Refusal {
                return try await list(request, context, error: refusal.description)
            }
        }
        router.post("teachers") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .manager)
            let body = String(buffer: try await request.body.collect(upTo: 64 << 10))
            let form = try? URLEncodedFormDecoder().decode(NewTeacher.self, from: body)
            let name = form?.name.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !name.isEmpty, name.count <= 200 else {
                return try await list(request, context, error: pages.text(for: request)["teachers_name_invalid"])
            }
            let teacher = try await store.createTeacher(schoolID: caller.schoolID, name: name)
            try await store.audit(caller, "teacher.create", "teacher \(teacher.id)", detail: name)
            return Response.redirect(to: "/teachers/\(teacher.id)", type: .normal)
        }
        router.get("teachers/:teacher", use: detail)
    }

    private func list(_ request: Request, _ context: APIContext, error: String?, notice: String? = nil) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .teacher)
        // A teacher's list of teachers is their own page.
        if let own = caller.ownTeacherID { return Response.redirect(to: "/teachers/\(own)", type: .found) }
        let t = pages.text(for: request)
        let teachers = try await store.teachers(schoolID: caller.schoolID).sorted { $0.name.localizedCompare($1.name) == .orderedAscending }
        var analysed = LessonQuery()
        analysed.state = .succeeded
        analysed.limit = 10_000
        let lessons = Dictionary(grouping: try await store.lessons(schoolID: caller.schoolID, matching: analysed).items.map(\.lesson)) { $0.teacherID ?? "" }
        let rows = teachers.map { teacher in
            let trend = TeacherTrend(teacher: teacher, lessons: lessons[teacher.id] ?? [])
            let alerts = trend.points.filter { $0.flag == LessonSummary.Flag.alert.rawValue }.count
            let direction = Self.direction(trend.points)
            return TeacherRow(href: "/teachers/\(teacher.id)", name: teacher.name, lessons: "\(trend.lessonCount)",
                              alerts: trend.points.isEmpty ? "—" : t.count("teachers_alerts", trend.lessonCount, alerts),
                              incidents: trend.points.isEmpty ? "—" : Self.incidents(trend, t),
                              talk: trend.meanTeacherTalkPercent.map { t.number($0) + " %" } ?? "—",
                              trend: t["trend_\(direction)"], trendClass: direction, voiceProfile: Self.profileText(teacher.voiceProfileStatus, t))
        }
        let courses = caller.role == .admin ? try await store.courses(schoolID: caller.schoolID).filter { $0.membershipsURL != nil }
            .map { CourseRow(platform: $0.platformID, course: $0.contextID, title: $0.title) } : []
        let model = ListModel(teachers: rows, empty: teachers.isEmpty, canAdd: caller.role >= .manager, error: error, notice: notice, courses: courses,
                              hasCourses: !courses.isEmpty)
        return pages.render("teachers", title: t["teachers_title"], model: model, request: request, context: context,
                            status: error == nil ? .ok : .badRequest)
    }

    /// A lesson's incidents per hour, for the chart and the table alike: only from a lesson of
    /// half an hour or more, since a 3-minute one would be extrapolated 20 times.
    static func incidentsPerHour(_ point: TeacherTrend.Point) -> Double? {
        point.durationSeconds >= 1800 ? point.incidentsPerHour : nil
    }

    @Sendable func detail(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .teacher)
        let t = pages.text(for: request)
        let id = try context.parameters.require("teacher")
        guard let teacher = try await store.teacher(id: id, schoolID: caller.schoolID), caller.sees(teacher: teacher.id) else {
            throw HTTPError(.notFound, message: t["teachers_not_found"])
        }
        var query = LessonQuery()
        query.teacherID = teacher.id
        query.state = .succeeded
        query.limit = 500
        let taught = try await store.lessons(schoolID: caller.schoolID, matching: query).items.map(\.lesson)
        let trend = TeacherTrend(teacher: teacher, lessons: taught)
        let byID = Dictionary(uniqueKeysWithValues: taught.map { ($0.id, $0) })
        let points = trend.points
        func chart(_ titleKey: String, _ unitKey: String, _ colour: String, noValues: String = "—", _ value: (TeacherTrend.Point) -> Double?) -> Chart {
            let title = t[titleKey]
            return Chart(title: title, svg: TrendChart(title: title, unit: t[unitKey], meanLabel: t["chart_mean"], colour: colour, points: points.map { point in
                TrendChart.Point(label: t.shortDay(point.date), value: value(point), href: "/lessons/\(point.lessonID)",
                                 tooltip: "\(point.title): " + (value(point).map { t.number($0, decimals: 1) } ?? "—"))
            }, noValues: noValues, number: { t.number($0, decimals: $1) }).svg())
        }
        let charts = [
            chart("trend_incidents", "unit_incidents_per_hour", ReportCharts.palette[5], noValues: t["trend_incidents_short_lessons"]) { Self.incidentsPerHour($0) },
            chart("trend_talk", "unit_percent_of_lesson", ReportCharts.palette[0]) { $0.teacherTalkPercent },
            chart("trend_negative", "unit_percent_of_face_time", ReportCharts.palette[3], noValues: t["trend_negative_no_face"]) { $0.teacherNegativeShare.map { $0 * 100 } },
        ]
        let lessons = points.reversed().map { point in
            // A day given without a time is shown as the day, not as its midnight.
            LessonRow(href: "/lessons/\(point.lessonID)", title: point.title, date: byID[point.lessonID].map(t.lessonDate) ?? t.date(point.date),
                      duration: ClockTime.format(point.durationSeconds),
                      incidents: "\(point.incidentCount)", perHour: Self.incidentsPerHour(point).map { t.number($0, decimals: 1) } ?? "—",
                      talk: point.teacherTalkPercent.map { t.number($0) + " %" } ?? "—",
                      negative: point.teacherNegativeShare.map { t.percent($0) } ?? "—",
                      flag: point.flag, flagText: point.flag.map { t["flag_\($0)"] })
        }
        let summary = points.isEmpty ? t["teacher_no_lessons"] : Self.summary(trend, t)
        let enrolment = try await store.latestVoiceEnrolment(teacherID: teacher.id, schoolID: caller.schoolID)
        let model = DetailModel(name: teacher.name, ownPage: caller.ownTeacherID != nil, voiceProfile: Self.profileText(teacher.voiceProfileStatus, t),
                                enrolment: enrolment.flatMap { $0.state == .succeeded || $0.state == .cancelled ? nil : JobStatus($0, t) },
                                liveText: JobStatus.liveText(t),
                                enrolled: teacher.voiceProfileStatus.enrolled, summary: summary, charts: charts,
                                lessons: Array(lessons), empty: points.isEmpty)
        return pages.render("teacher", title: teacher.name, model: model, request: request, context: context)
    }

    /// Lessons, incidents and talk share in words.
    static func summary(_ trend: TeacherTrend, _ t: InterfaceText) -> String {
        [t.count("teacher_lessons", trend.lessonCount), incidents(trend, t)]
            .joined(separator: " · ") + (trend.meanTeacherTalkPercent.map { " · " + t.format("teacher_talk", t.number($0)) } ?? "")
    }

    /// Incidents as a rate per hour only from an hour of lessons or more: one 3-minute
    /// lesson with an incident is not "20 incidents per hour".
    static func incidents(_ trend: TeacherTrend, _ t: InterfaceText) -> String {
        let hours = trend.points.reduce(0) { $0 + $1.durationSeconds } / 3600
        let incidents = trend.points.reduce(0) { $0 + $1.incidentCount }
        return hours >= 1 ? t.format("teacher_rate", t.number(Double(incidents) / hours, decimals: 1))
                          : t.count("teacher_incidents_in", incidents, t.number(hours * 60))
    }

    /// Which way a teacher's incidents per hour go: the later half of their lessons against
    /// the earlier half, "steady" within a fifth (or 0.5 per hour); "unknown" under 4 lessons.
    static func direction(_ points: [TeacherTrend.Point]) -> String {
        guard points.count >= 4 else { return "unknown" }
        func rate(_ part: ArraySlice<TeacherTrend.Point>) -> Double {
            Double(part.reduce(0) { $0 + $1.incidentCount }) / max(part.reduce(0) { $0 + $1.durationSeconds } / 3600, 1e-9)
        }
        let earlier = rate(points.prefix(points.count / 2)), later = rate(points.suffix(points.count - points.count / 2))
        if abs(later - earlier) <= max(0.5, 0.2 * earlier) { return "steady" }
        return later < earlier ? "better" : "worse"
    }

    static func profileText(_ status: VoiceProfileStatus, _ t: InterfaceText) -> String {
        guard status.enrolled else { return t["voice_not_enrolled"] }
        return t.format("voice_enrolled", t.number(status.speechSeconds ?? 0), status.model ?? "")
    }
}
