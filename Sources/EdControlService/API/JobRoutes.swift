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
