import Foundation
import Hummingbird

/// `/api/v1/jobs`: an analysis's state, stage and progress; cancelling it.
struct JobRoutes {
    let store: EdControlStore

    func add(to api: RouterGroup<APIContext>) {
        let jobs = api.group("jobs")
        jobs.get(":job") { _, context in
            let caller = try context.require(.viewer)
            return try await job(context.parameters.require("job"), caller)
        }
        jobs.post(":job/cancel") { _, context in
            let caller = try context.require(.manager)
            let id = try context.parameters.require("job")
            guard let (job, cancelled) = try await store.cancel(jobID: id, schoolID: caller.schoolID) else { throw Self.noSuchJob(id) }
            guard cancelled else {
                throw HTTPError(.conflict, message: "the job has already finished (\(job.state.rawValue)); there is nothing to cancel")
            }
            return job
        }
    }

    private func job(_ id: String, _ caller: Principal) async throws -> Job {
        guard let job = try await store.job(id: id, schoolID: caller.schoolID) else { throw Self.noSuchJob(id) }
        return job
    }

    static func noSuchJob(_ id: String) -> HTTPError { HTTPError(.notFound, message: "there is no job \(id) in your school") }
}

/// `/api/v1/teachers`: the school's teachers, whom lessons are filed under.
struct TeacherRoutes {
    let store: LessonStore

    struct NewTeacher: Decodable { var name: String }
    struct TeacherList: ResponseEncodable { var items: [Teacher] }

    func add(to api: RouterGroup<APIContext>) {
        let teachers = api.group("teachers")
        teachers.post { request, context -> EditedResponse<Teacher> in
            let caller = try context.require(.manager)
            let body = try await request.decode(as: NewTeacher.self, context: context)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, name.count <= 200 else { throw HTTPError(.badRequest, message: "name must be 1–200 characters") }
            let teacher = try await store.createTeacher(schoolID: caller.schoolID, name: name)
            return EditedResponse(status: .created, headers: [.location: "/api/v1/teachers/\(teacher.id)"], response: teacher)
        }
        teachers.get { _, context in
            TeacherList(items: try await store.teachers(schoolID: try context.require(.viewer).schoolID))
        }
        teachers.get(":teacher") { _, context -> Teacher in
            let caller = try context.require(.viewer)
            let id = try context.parameters.require("teacher")
            guard let teacher = try await store.teacher(id: id, schoolID: caller.schoolID) else {
                throw HTTPError(.notFound, message: "there is no teacher \(id) in your school")
            }
            return teacher
        }
    }
}

extension Teacher: ResponseEncodable {}
