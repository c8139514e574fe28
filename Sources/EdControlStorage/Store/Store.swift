import Foundation

// The service's storage seams. Callers see only these protocols; SQLite/ holds the
// embedded implementation. Their semantics (one transaction per call, a job claimed by one
// worker at a time under a lease, tenants filtered in every query) are what a PostgreSQL
// implementation must keep (`FOR UPDATE SKIP LOCKED` where SQLite serialises writers).

/// Schools and their API tokens.
public protocol AccessStore: Sendable {
    /// The school with this name, created if asked and missing.
    func school(named name: String, createIfMissing: Bool) async throws -> School?
    func school(id: String) async throws -> School?
    /// A new token, valid until `expiresAt` (nil: until revoked); the secret is returned
    /// once and only its hash is kept.
    func createToken(schoolID: String, name: String, role: Role, expiresAt: Date?) async throws -> (secret: String, token: APIToken)
    /// Who a token belongs to, or nil if it is unknown, revoked or expired; notes its use.
    func principal(forToken secret: String) async throws -> Principal?
    /// The school's tokens, newest first (expired ones too, until revoked).
    func tokens(schoolID: String) async throws -> [APIToken]
    /// Removes a token of the school: refused from the next request on. Nil if no such token.
    func revokeToken(id: String, schoolID: String) async throws -> APIToken?
    /// A new dashboard user; refused (`StoreConflict`) if the email is taken in the school.
    /// Other schools' users are no business of the school's: the same email may be a user of
    /// several schools, and nothing here tells one school of another's users.
    func createUser(schoolID: String, email: String, name: String, role: Role, passwordHash: String) async throws -> User
    /// The users with this email in every school, oldest first (sign-in finds whose password it is).
    func users(email: String) async throws -> [User]
    /// The school's users, by email.
    func users(schoolID: String) async throws -> [User]
    /// Changes a user's role (and signs them out everywhere, so it applies at once); refused
    /// (`StoreConflict`) when it would leave the school without an admin. False if no such user.
    func setRole(userID: String, schoolID: String, role: Role) async throws -> Bool
    /// Removes a user and their sessions; refused (`StoreConflict`) for the school's last admin.
    func deleteUser(id: String, schoolID: String) async throws -> User?
    /// Replaces the user's password hash (and signs them out everywhere); false if no such user.
    func setPasswordHash(userID: String, passwordHash: String) async throws -> Bool
    /// Starts a session for the user; the secret (for the cookie) is returned once.
    func createSession(userID: String, lifetimeSeconds: Double) async throws -> (secret: String, session: DashboardSession)
    /// Who a session belongs to and its CSRF token, or nil if it is unknown or has expired.
    func principal(forSession secret: String) async throws -> (principal: Principal, csrfToken: String)?
    func deleteSession(secret: String) async throws
    /// In one transaction: refuses the sign-in attempt if any key (an account, an address)
    /// already has its limit of attempts within `window` before `date`, else counts it under
    /// every key. Concurrent attempts can never pass a limit together.
    func countSignInAttempt(_ limits: [SignInLimit], at date: Date, window: TimeInterval) async throws -> SignInAttemptCount
    /// Takes back a counted attempt (its password was right) and clears `key`'s failures.
    func forgetSignInAttempt(_ attempt: String, clearing key: String) async throws
    func clearSignInFailures(key: String) async throws
}

public struct SignInLimit: Sendable {
    public var key: String
    public var attempts: Int

    package init(key: String, attempts: Int) {
        self.key = key
        self.attempts = attempts
    }
}

public enum SignInAttemptCount: Sendable, Equatable {
    case counted(String)
    /// Until this moment, when enough counted attempts have left the window.
    case refused(until: Date)
}

/// Teachers and lessons, always within one school.
public protocol LessonStore: Sendable {
    func createTeacher(schoolID: String, name: String) async throws -> Teacher
    func teachers(schoolID: String) async throws -> [Teacher]
    func teacher(id: String, schoolID: String) async throws -> Teacher?
    /// Stores a new lesson and queues its analysis in one transaction.
    func addLesson(_ lesson: Lesson, maxAttempts: Int) async throws -> Job
    func lessons(schoolID: String, matching query: LessonQuery) async throws -> (items: [LessonWithJob], total: Int)
    func lesson(id: String, schoolID: String) async throws -> LessonWithJob?
    /// Removes the lesson and everything derived from it (jobs, reviews, webhook deliveries
    /// about it); returns what was removed, so its files can go too.
    func deleteLesson(id: String, schoolID: String) async throws -> Lesson?
    /// Every lesson's id, in all schools, with the set of results its row names
    /// (`ResultsSet.beforeRuns` when none): what may have files, and which of them are published.
    func publishedResults() async throws -> [String: String]
    /// Analysed lessons, in all schools, whose list figures were worked out by an older
    /// `AnalysisSummary.version`: what a start brings up to date from their reports.
    func lessonsWithOutdatedSummaries() async throws -> [Lesson]
    /// Replaces an analysed lesson's list figures (with the current summary version).
    func updateSummary(lessonID: String, summary: AnalysisSummary) async throws
}

/// What a finished analysis tells the lesson list.
public struct AnalysisSummary: Sendable, Equatable {
    /// Raised whenever a figure is worked out differently, so that lessons analysed before
    /// are summarised again from their stored reports (2: the teacher's strongest incident
    /// and own incidents; 3: negative expression against the face's usual one).
    public static let version = 3

    public var flag: String
    public var incidentCount: Int
    public var teacherTalkPercent: Double
    public var speakerCount: Int
    public var durationSeconds: Double
    /// Share of the teacher's on-screen seconds in which a negative expression stood out from
    /// the face's usual one (`ExpressionChanges`); nil when no face was linked to the teacher.
    public var teacherNegativeShare: Double?
    /// The strongest incident's peak intensity (0–1), nil without incidents: what orders
    /// lessons by severity within a flag.
    public var peakIntensity: Double?
    /// The incidents of the teacher (not a student's): what a teacher's figures count.
    public var teacherIncidentCount: Int

    public init(flag: String, incidentCount: Int, teacherTalkPercent: Double, speakerCount: Int, durationSeconds: Double,
                teacherNegativeShare: Double?, peakIntensity: Double? = nil, teacherIncidentCount: Int = 0) {
        self.flag = flag
        self.incidentCount = incidentCount
        self.teacherTalkPercent = teacherTalkPercent
        self.speakerCount = speakerCount
        self.durationSeconds = durationSeconds
        self.teacherNegativeShare = teacherNegativeShare
        self.peakIntensity = peakIntensity
        self.teacherIncidentCount = teacherIncidentCount
    }
}

/// The durable analysis queue: queued → running → succeeded | failed | cancelled (`JobTransition`).
public protocol JobQueue: Sendable {
    /// Queues another analysis of a lesson; refused while one of its jobs is queued or running.
    func enqueue(lessonID: String, schoolID: String, maxAttempts: Int) async throws -> Job
    /// Queues making the teacher's voice profile from a speaker's turns in the lesson;
    /// refused while the lesson is being analysed or the teacher already being enrolled.
    func enqueueVoiceEnrolment(teacherID: String, lessonID: String, speaker: String, schoolID: String, maxAttempts: Int) async throws -> Job
    func job(id: String, schoolID: String) async throws -> Job?
    /// The teacher's latest voice enrolment, if any.
    func latestVoiceEnrolment(teacherID: String, schoolID: String) async throws -> Job?
    /// Hands the oldest waiting job to `workerID` under a lease. A running job whose lease
    /// has expired (its worker died) is waiting again; after `maxAttempts` it fails instead.
    func claimNext(workerID: String, leaseSeconds: Double) async throws -> Job?
    /// Applies what the worker holding the job's lease asks (`JobTransition`). False, with
    /// nothing changed, when the job is no longer `workerID`'s to run (cancelled, deleted, or
    /// its lease lapsed and another worker took it over), or a result is of another kind of
    /// job: the worker stops working on it.
    func apply(_ transition: JobTransition, jobID: String, workerID: String) async throws -> Bool
    /// Cancels a queued or running job. Nil if there is no such job in the school; else the
    /// job, and whether this call cancelled it (false: it had already finished).
    func cancel(jobID: String, schoolID: String) async throws -> (job: Job, cancelled: Bool)?
    func jobCounts() async throws -> [Job.State: Int]
    /// Returns when a job may be waiting (one was queued or given back since the call began:
    /// by this process, or by any node when the database can tell), or after `seconds`: an
    /// idle worker's wait between claims.
    func waitForWork(upTo seconds: Double) async
}

/// Webhooks and the log of their deliveries.
public protocol WebhookStore: Sendable {
    func addWebhook(schoolID: String, url: String, secret: String) async throws -> Webhook
    func webhooks(schoolID: String) async throws -> [Webhook]
    func deleteWebhook(id: String, schoolID: String) async throws -> Bool
    /// Queues `event` about a lesson, with `payload`, for every webhook of the school.
    func queueEvent(schoolID: String, lessonID: String, event: String, payload: (_ deliveryID: String) -> String) async throws
    /// Deliveries due now, each locked for `lockSeconds` so that no other sender takes it.
    func dueDeliveries(limit: Int, lockSeconds: Double) async throws -> [(WebhookDelivery, Webhook)]
    /// Records one attempt: delivered, or retried at `retryAt`, or failed for good when nil.
    func recordAttempt(deliveryID: String, status: Int?, error: String?, delivered: Bool, retryAt: Date?) async throws
    func deliveries(webhookID: String, schoolID: String, limit: Int) async throws -> [WebhookDelivery]?
}

/// Reviewers' verdicts on incidents.
public protocol ReviewStore: Sendable {
    /// Stores a verdict; a later verdict on the same incident replaces the earlier one.
    func saveReview(_ review: IncidentReview) async throws -> IncidentReview
    func reviews(lessonID: String, schoolID: String) async throws -> [IncidentReview]
    /// Every verdict in the school, oldest first: the labelled episodes for evaluation.
    func reviews(schoolID: String) async throws -> [IncidentReview]
}

/// The audit log, and what the retention policy needs.
public protocol AuditStore: Sendable {
    func record(_ event: AuditEvent) async throws
    /// Newest first.
    func auditEvents(schoolID: String, limit: Int, offset: Int) async throws -> [AuditEvent]
    /// Lessons, in any school, whose recording is still stored and was uploaded before `date`.
    func lessonsWithMedia(uploadedBefore date: Date) async throws -> [Lesson]
    /// Forgets the lesson's recording (its file is deleted by the caller); results stay.
    func clearMedia(lessonID: String) async throws
}

extension AuditStore {
    /// Records that `caller` did `action` to `target`.
    public func audit(_ caller: Principal, _ action: String, _ target: String, detail: String? = nil) async throws {
        try await record(AuditEvent(schoolID: caller.schoolID, actor: caller.tokenName, action: action, target: target, detail: detail))
    }
}

public typealias EdControlStore = AccessStore & LessonStore & JobQueue & WebhookStore & ReviewStore & AuditStore & RegistryStore & MonitoringStore & ShadowStore & TranscriptStore & LTIStore

/// A request the store refuses, in words for the caller.
public struct StoreConflict: Error, LocalizedError {
    public var message: String
    /// The interface text's key of the message, for one a school's user can meet (which the
    /// dashboard shows in its reader's language); nil for the operator's.
    public var key: String?

    public init(message: String, key: String? = nil) {
        self.message = message
        self.key = key
    }

    public var errorDescription: String? { message }
}
