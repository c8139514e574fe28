import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/teachers`: the school's teachers, whom lessons are filed under.
struct TeacherRoutes {
    let store: LessonStore & AuditStore
    let lessons: LessonService

    struct NewTeacher: Decodable { var name: String }
    struct TeacherList: ResponseEncodable { var items: [TeacherView] }
    struct Enrolment: Decodable {
        var lessonId: String
        var speaker: String
    }

    func add(to api: RouterGroup<APIContext>) {
        let teachers = api.group("teachers")
        teachers.post { request, context -> EditedResponse<TeacherView> in
            let caller = try context.require(.manager)
            let body = try await request.decode(as: NewTeacher.self, context: context)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, name.count <= 200 else { throw HTTPError(.badRequest, message: "name must be 1–200 characters") }
            let teacher = try await store.createTeacher(schoolID: caller.schoolID, name: name)
            return EditedResponse(status: .created, headers: [.location: "/api/v1/teachers/\(teacher.id)"], response: TeacherView(teacher))
        }
        teachers.get { _, context in
            let caller = try context.require(.teacher)
            return TeacherList(items: try await store.teachers(of: caller).map(TeacherView.init))
        }
        teachers.get(":teacher") { _, context in TeacherView(try await teacher(context)) }
        teachers.post(":teacher/voice-profile", use: enrol)
        teachers.get(":teacher/lessons") { request, context -> LessonList in
            let (teacher, caller) = (try await teacher(context), try context.require(.teacher))
            var query = LessonQuery()
            query.teacherID = teacher.id
            let page = try Paging(request, defaultLimit: 50, maxLimit: 500)
            (query.limit, query.offset) = (page.limit, page.offset)
            let (items, total) = try await store.lessons(schoolID: caller.schoolID, matching: query)
            return LessonList(items: items, total: total, limit: query.limit, offset: query.offset)
        }
        teachers.get(":teacher/trend") { _, context -> TeacherTrend in
            let (teacher, caller) = (try await teacher(context), try context.require(.teacher))
            var query = LessonQuery()
            query.teacherID = teacher.id
            query.state = .succeeded
            query.limit = 500
            let lessons = try await store.lessons(schoolID: caller.schoolID, matching: query).items.map(\.lesson)
            return TeacherTrend(teacher: teacher, lessons: lessons)
        }
    }

    /// Queues enrolling the teacher's voice from their turns in an analysed lesson (the
    /// speaker id of its report); the job's page says when the profile is ready.
    @Sendable func enrol(_ request: Request, context: APIContext) async throws -> EditedResponse<Job> {
        let caller = try context.require(.manager)
        let body = try await request.decode(as: Enrolment.self, context: context)
        let job = try await lessons.requestVoiceEnrolment(of: try context.parameters.require("teacher"), fromLesson: body.lessonId,
                                                          speaker: body.speaker, by: caller)
        return EditedResponse(status: .accepted, headers: [.location: "/api/v1/jobs/\(job.id)"], response: job)
    }

    private func teacher(_ context: APIContext) async throws -> Teacher {
        try await store.teacher(try context.parameters.require("teacher"), of: try context.require(.teacher))
    }
}

/// A teacher's analysed lessons over time (oldest first), with the figures to chart.
struct TeacherTrend: ResponseEncodable {
    struct Point: Encodable {
        var lessonID: String
        var title: String
        /// When the lesson took place (or, if not given, was uploaded).
        var date: Date
        var durationSeconds: Double
        var flag: String?
        /// The teacher's own incidents (a student's are not the teacher's doing).
        var incidentCount: Int
        var incidentsPerHour: Double
        var teacherTalkPercent: Double?
        var teacherNegativeShare: Double?
    }

    var teacher: TeacherView
    var points: [Point]
    var lessonCount: Int
    var incidentsPerHour: Double?
    var meanTeacherTalkPercent: Double?

    init(teacher: Teacher, lessons: [Lesson]) {
        self.teacher = TeacherView(teacher)
        points = lessons.map { lesson in
            // Lessons analysed before the teacher's incidents were counted apart count all of theirs.
            let incidents = lesson.teacherIncidentCount ?? lesson.incidentCount ?? 0
            return Point(lessonID: lesson.id, title: lesson.title, date: lesson.recordedAt ?? lesson.uploadedAt,
                         durationSeconds: lesson.durationSeconds, flag: lesson.flag, incidentCount: incidents,
                         incidentsPerHour: Double(incidents) / max(lesson.durationSeconds / 3600, 1e-9),
                         teacherTalkPercent: lesson.teacherTalkPercent, teacherNegativeShare: lesson.teacherNegativeShare)
        }.sorted { $0.date < $1.date }
        lessonCount = points.count
        let hours = points.reduce(0) { $0 + $1.durationSeconds } / 3600
        incidentsPerHour = hours > 0 ? Double(points.reduce(0) { $0 + $1.incidentCount }) / hours : nil
        let talk = points.compactMap(\.teacherTalkPercent)
        meanTeacherTalkPercent = talk.isEmpty ? nil : talk.reduce(0, +) / Double(talk.count)
    }
}

/// A teacher as the API shows them: the voice profile's status, never the voiceprint itself.
struct TeacherView: ResponseEncodable {
    var id: String
    var schoolID: String
    var name: String
    var createdAt: Date
    var voiceProfile: VoiceProfileStatus

    init(_ teacher: Teacher) {
        id = teacher.id
        schoolID = teacher.schoolID
        name = teacher.name
        createdAt = teacher.createdAt
        voiceProfile = teacher.voiceProfileStatus
    }
}
