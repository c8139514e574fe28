import Foundation

/// What the worker holding a job's lease may do to it. A job's whole life:
///
///     queued ──claim──▶ running ──succeed──▶ succeeded
///       ▲                 │  ├────fail─────▶ failed
///       │                 │  └─lease lapsed, no attempts left─▶ failed (worker_lost)
///       └──release, or lease lapsed with attempts left (another claim retries it)
///     queued | running ──cancel (the school)──▶ cancelled
///
/// Claiming is `JobQueue.claimNext`, cancelling `JobQueue.cancel`; the rest are these.
/// The queue applies each in one statement or transaction whose conditions — the job is
/// running, the lease is this worker's, the job's kind fits the result — the database checks
/// as it writes, never read first and written after: of two workers that both think they
/// hold a job (one's lease lapsed and the other took it over), only the holder's heartbeat,
/// progress and result are taken, whatever backend and however many writers.
public enum JobTransition: Sendable {
    /// Renews the lease and records the stage and progress (running → running).
    case heartbeat(stage: String, progress: Double, leaseSeconds: Double)
    /// Records success and, in the same transaction, what the job made (running → succeeded).
    case succeed(JobResult)
    /// Records that the job failed for good (running → failed).
    case fail(reason: String, message: String)
    /// Gives the job back without counting the attempt: the worker is shutting down
    /// (running → queued).
    case release

    public var to: Job.State {
        switch self {
        case .heartbeat: .running
        case .succeed: .succeeded
        case .fail: .failed
        case .release: .queued
        }
    }
}

/// What a job made, stored with its success.
public enum JobResult: Sendable {
    /// An analysis's figures for the lesson list, and the set of results files it wrote
    /// (`ResultsSet.run(of:)`), which the lesson's row then names: the switch that publishes them.
    case analysis(AnalysisSummary, resultsSet: String)
    /// A teacher's voice profile (TeacherProfile JSON), stored on the teacher.
    case voiceProfile(String)
    /// A shadow analysis's comparison with the champion.
    case shadow(ShadowResult)

    /// The kind of job that makes this result: a result of another kind is refused.
    public var kind: Job.Kind {
        switch self {
        case .analysis: .analysis
        case .voiceProfile: .voiceEnrolment
        case .shadow: .shadow
        }
    }
}
