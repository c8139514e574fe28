import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/jobs`: an analysis's state, stage and progress; cancelling it.
struct JobRoutes {
    let store: JobQueue
    let lessons: LessonService

    func add(to api: RouterGroup<APIContext>) {
        let jobs = api.group("jobs")
        jobs.get(":job") { _, context in
            let caller = try context.require(.viewer)
            return try await job(context.parameters.require("job"), caller)
        }
        jobs.post(":job/cancel") { _, context in
            let caller = try context.require(.manager)
            return try await lessons.cancel(jobID: context.parameters.require("job"), by: caller)
        }
    }

    private func job(_ id: String, _ caller: Principal) async throws -> Job {
        guard let job = try await store.job(id: id, schoolID: caller.schoolID) else { throw Refusal(.notFound, "refusal_no_job", .text(id)) }
        return job
    }
}
