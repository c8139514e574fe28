import Foundation

/// The promises every store implementation must keep, as checks a backend's tests run
/// against a fresh, empty store of theirs (`StoreConformanceTests` runs them on SQLite).
/// Each check throws `StoreConformance.Broken` naming the promise that was broken. They
/// hold for any number of writers: jobs are claimed once, leases and attempts are checked by
/// the database, a school never sees another's rows, and a school always keeps an admin.
/// No test framework here, so that the kit ships beside the protocols, as HummingbirdTesting
/// does beside Hummingbird.
public enum StoreConformance {
    public struct Broken: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public typealias Check = @Sendable (any EdControlStore) async throws -> Void

    /// Every check, by name.
    public static let checks: [(name: String, check: Check)] = [
        ("concurrent claims take each job once", concurrentClaimsTakeEachJobOnce),
        ("a lapsed lease is taken over and the old holder refused", lapsedLeaseIsTakenOver),
        ("attempts stop at the maximum", attemptsStopAtTheMaximum),
        ("a cancelled job takes no transition", cancelledJobTakesNoTransition),
        ("an idle worker's wait ends when a job is queued or given back", idleWaitEndsWhenWorkArrives),
        ("a lesson has one active job", aLessonHasOneActiveJob),
        ("concurrent removals keep a school's last admin", concurrentRemovalsKeepTheLastAdmin),
        ("concurrent senders take each webhook delivery once", concurrentSendersTakeEachDeliveryOnce),
        ("schools never see each other's rows", schoolsNeverSeeEachOthersRows),
        ("concurrent sign-in attempts never pass a limit", concurrentSignInAttemptsNeverPassALimit),
        ("sessions and tokens end when they should", sessionsAndTokensEnd),
        ("one-time LMS secrets are taken once", oneTimeSecretsAreTakenOnce),
        ("transcript search stays in its school", transcriptSearchStaysInItsSchool),
        ("champion changes form one chain; shadow runs replace each other", championChangesFormOneChain),
        ("a lesson's rows through its life", aLessonsRowsThroughItsLife),
        ("LMS records stay in their school", lmsRecordsStayInTheirSchool),
        ("delivery attempts are recorded and sign-in locks lifted", attemptsAreRecordedAndLocksLifted),
    ]

    static func expect(_ condition: Bool, _ promise: @autoclosure () -> String) throws {
        if !condition { throw Broken(promise()) }
    }

    // MARK: The job queue

    /// 8 claimers racing over 200 queued jobs: each job is claimed exactly once.
    static func concurrentClaimsTakeEachJobOnce(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Claims")
        for _ in 0..<200 { _ = try await addLesson(to: school, store) }
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for claimer in 0..<8 {
                group.addTask {
                    var mine: [String] = []
                    while let job = try await store.claimNext(workerID: "claimer-\(claimer)", leaseSeconds: 60) { mine.append(job.id) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try expect(claimed.count == 200 && Set(claimed).count == 200,
                   "8 claimers took \(claimed.count) jobs, \(Set(claimed).count) distinct, of 200 queued: each must be claimed once")
    }

    /// A worker whose lease lapsed and was taken over can neither renew it, record
    /// progress, succeed, fail nor give the job back; the new holder can.
    static func lapsedLeaseIsTakenOver(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Leases")
        let queued = try await addLesson(to: school, store)
        let first = try await store.claimNext(workerID: "first", leaseSeconds: -1)
        try expect(first?.id == queued.id && first?.attempts == 1, "the queued job is claimed, attempt 1")
        let second = try await store.claimNext(workerID: "second", leaseSeconds: 60)
        try expect(second?.id == queued.id && second?.attempts == 2 && second?.workerID == "second", "a lapsed lease is claimed again")
        guard let first, let second else { throw Broken("both claims take the job") }
        let firstRun = ResultsSet.run(of: first), secondRun = ResultsSet.run(of: second)
        try expect(firstRun != secondRun, "two runs of the job write different sets of results")
        for transition in [JobTransition.heartbeat(stage: "listening", progress: 0.5, leaseSeconds: 60), .succeed(.analysis(summary, resultsSet: firstRun)),
                           .fail(reason: "internal", message: "stale"), .release] {
            try expect(try await !store.apply(transition, jobID: queued.id, workerID: "first"), "the old holder's \(transition) is refused")
        }
        try expect(try await store.apply(.heartbeat(stage: "listening", progress: 0.5, leaseSeconds: 60), jobID: queued.id, workerID: "second"),
                   "the holder renews its lease")
        try expect(try await store.claimNext(workerID: "third", leaseSeconds: 60) == nil, "a held lease is not claimed")
        try expect(try await !store.apply(.succeed(.voiceProfile("{}")), jobID: queued.id, workerID: "second"),
                   "an enrolment's result for an analysis job is refused")
        try expect(try await store.lesson(id: queued.lessonID, schoolID: school)?.lesson.resultsSet == nil, "no set is published before a success")
        try expect(try await store.apply(.succeed(.analysis(summary, resultsSet: secondRun)), jobID: queued.id, workerID: "second"),
                   "the holder's success is recorded")
        let done = try await store.job(id: queued.id, schoolID: school)
        try expect(done?.state == .succeeded && done?.workerID == nil, "the job is succeeded and held by nobody")
        let lesson = try await store.lesson(id: queued.lessonID, schoolID: school)
        try expect(lesson?.lesson.flag == summary.flag && lesson?.lesson.analysedAt != nil, "the success's summary is stored with it")
        try expect(lesson?.lesson.resultsSet == secondRun, "the lesson names the holder's set of results, in the same transaction")
    }

    /// A job whose worker keeps dying is tried `maxAttempts` times, then fails as lost.
    static func attemptsStopAtTheMaximum(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Attempts")
        let queued = try await addLesson(to: school, store, maxAttempts: 2)
        for attempt in 1...2 {
            let job = try await store.claimNext(workerID: "dies-\(attempt)", leaseSeconds: -1)
            try expect(job?.attempts == attempt, "attempt \(attempt) is claimed")
        }
        try expect(try await store.claimNext(workerID: "late", leaseSeconds: 60) == nil, "no third attempt of a job allowed two")
        let failed = try await store.job(id: queued.id, schoolID: school)
        try expect(failed?.state == .failed && failed?.failureReason == "worker_lost", "the job fails as lost after its last attempt")
        // A release gives the attempt back: a shutdown never uses one up.
        let other = try await addLesson(to: school, store, maxAttempts: 1)
        _ = try await store.claimNext(workerID: "stopping", leaseSeconds: 60)
        try expect(try await store.apply(.release, jobID: other.id, workerID: "stopping"), "the holder gives the job back")
        let again = try await store.claimNext(workerID: "next", leaseSeconds: 60)
        try expect(again?.id == other.id && again?.attempts == 1, "a released job is claimed again with its attempt given back")
    }

    /// A worker waiting for work (with a long timeout) is woken by a job queued, and by a job
    /// given back, well before its timeout: idle workers need not poll often.
    static func idleWaitEndsWhenWorkArrives(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Waits")
        // The first wait may start listening; it returns by its short timeout.
        await store.waitForWork(upTo: 0.5)
        for arrival in ["queued", "given back"] {
            let clock = ContinuousClock()
            let waited = try await withThrowingTaskGroup(of: Duration?.self) { group in
                group.addTask {
                    let start = clock.now
                    await store.waitForWork(upTo: 30)
                    return clock.now - start
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(300))
                    if arrival == "queued" {
                        _ = try await addLesson(to: school, store)
                    } else {
                        let job = try await store.claimNext(workerID: "waits", leaseSeconds: 60)
                        try expect(job != nil, "the queued job is claimed")
                        try await Task.sleep(for: .milliseconds(300))
                        _ = try await store.apply(.release, jobID: job!.id, workerID: "waits")
                    }
                    return nil
                }
                var waited: Duration?
                for try await result in group { if let result { waited = result } }
                return waited ?? .seconds(30)
            }
            try expect(waited < .seconds(10), "a wait of up to 30 s ends when a job is \(arrival) (it took \(waited))")
        }
    }

    static func cancelledJobTakesNoTransition(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Cancels")
        let queued = try await addLesson(to: school, store)
        _ = try await store.claimNext(workerID: "w", leaseSeconds: 60)
        let cancelled = try await store.cancel(jobID: queued.id, schoolID: school)
        try expect(cancelled?.cancelled == true && cancelled?.job.state == .cancelled, "a running job is cancelled")
        try expect(try await !store.apply(.heartbeat(stage: "x", progress: 0.9, leaseSeconds: 60), jobID: queued.id, workerID: "w"),
                   "a cancelled job's heartbeat is refused (its worker stops)")
        try expect(try await !store.apply(.succeed(.analysis(summary, resultsSet: "results-kit")), jobID: queued.id, workerID: "w"), "a cancelled job's success is refused")
        let twice = try await store.cancel(jobID: queued.id, schoolID: school)
        try expect(twice?.cancelled == false && twice?.job.state == .cancelled, "cancelling a finished job changes nothing")
        try expect(try await store.cancel(jobID: "no-such-job", schoolID: school) == nil, "an unknown job is nil")
    }

    static func aLessonHasOneActiveJob(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Active")
        let queued = try await addLesson(to: school, store)
        do {
            _ = try await store.enqueue(lessonID: queued.lessonID, schoolID: school, maxAttempts: 3)
            throw Broken("a second analysis of a lesson whose analysis is queued is refused")
        } catch is StoreConflict {}
        _ = try await store.cancel(jobID: queued.id, schoolID: school)
        let again = try await store.enqueue(lessonID: queued.lessonID, schoolID: school, maxAttempts: 3)
        try expect(again.state == .queued, "once the job is cancelled the lesson is queued again")
    }

    // MARK: Webhooks

    /// 4 senders racing over 100 due deliveries: each delivery is taken once while locked.
    static func concurrentSendersTakeEachDeliveryOnce(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Deliveries")
        _ = try await store.addWebhook(schoolID: school, url: "https://lms.example.org/hook", secret: "a-long-shared-secret")
        for index in 0..<100 { try await store.queueEvent(schoolID: school, lessonID: "lesson-\(index)", event: "job.succeeded") { _ in "{}" } }
        let taken = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var mine: [String] = []
                    // Bounded: a store that never locks would hand the same deliveries out forever.
                    for _ in 0..<100 {
                        let due = try await store.dueDeliveries(limit: 7, lockSeconds: 60)
                        if due.isEmpty { break }
                        mine += due.map(\.0.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try expect(taken.count == 100 && Set(taken).count == 100,
                   "4 senders took \(taken.count) deliveries, \(Set(taken).count) distinct, of 100 due: each must be taken once while locked")
    }

    // MARK: Access

    /// Two admins removed at the same moment: one removal is refused, and one admin stays.
    static func concurrentRemovalsKeepTheLastAdmin(_ store: any EdControlStore) async throws {
        for round in 0..<5 {
            let school = try await newSchool(store, "Admins \(round)")
            let admins = [try await store.createUser(schoolID: school, email: "a\(round)@school.example", name: "A", role: .admin, passwordHash: "x"),
                          try await store.createUser(schoolID: school, email: "b\(round)@school.example", name: "B", role: .admin, passwordHash: "x")]
            let removed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (index, admin) in admins.enumerated() {
                    group.addTask {
                        do {
                            // One is deleted, the other made a viewer: both would take an admin away.
                            if index == 0 { return try await store.deleteUser(id: admin.id, schoolID: school) != nil }
                            return try await store.setRole(userID: admin.id, schoolID: school, role: .viewer)
                        } catch is StoreConflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            let left = try await store.users(schoolID: school).filter { $0.role == .admin }
            try expect(removed == 1 && left.count == 1, "of two admins removed at once, \(removed) went and \(left.count) stayed: exactly one must stay")
        }
    }

    /// 20 attempts at once against a limit of 5: exactly 5 are counted. A right password
    /// takes its attempt back and clears the account's failures.
    static func concurrentSignInAttemptsNeverPassALimit(_ store: any EdControlStore) async throws {
        let key = "account:" + newIdentifier(), now = Date()
        let outcomes = try await withThrowingTaskGroup(of: SignInAttemptCount.self) { group in
            for _ in 0..<20 { group.addTask { try await store.countSignInAttempt([SignInLimit(key: key, attempts: 5)], at: now, window: 900) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let counted = outcomes.compactMap { if case .counted(let attempt) = $0 { attempt } else { nil } }
        try expect(counted.count == 5, "20 concurrent attempts against a limit of 5 counted \(counted.count)")
        guard case .refused(let until) = try await store.countSignInAttempt([SignInLimit(key: key, attempts: 5)], at: now, window: 900),
              abs(until.timeIntervalSince(now) - 900) < 1 else {
            throw Broken("a sixth attempt is refused until the first leaves the 15-minute window")
        }
        try await store.forgetSignInAttempt(counted[0], clearing: key)
        guard case .counted = try await store.countSignInAttempt([SignInLimit(key: key, attempts: 5)], at: now, window: 900) else {
            throw Broken("after a right password the account's failures are cleared")
        }
    }

    static func sessionsAndTokensEnd(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Sessions")
        let user = try await store.createUser(schoolID: school, email: "a@school.example", name: "A", role: .admin, passwordHash: "x")
        let other = try await store.createUser(schoolID: school, email: "b@school.example", name: "B", role: .admin, passwordHash: "x")
        let session = try await store.createSession(userID: user.id, lifetimeSeconds: 3600)
        let seen = try await store.principal(forSession: session.secret)
        try expect(seen?.principal.schoolID == school && seen?.csrfToken == session.session.csrfToken && seen?.principal.role == .admin,
                   "a session is its user's, in their school, with its CSRF token")
        try await store.deleteSession(secret: session.secret)
        try expect(try await store.principal(forSession: session.secret) == nil, "a signed-out session is gone")
        let expired = try await store.createSession(userID: user.id, lifetimeSeconds: -1)
        try expect(try await store.principal(forSession: expired.secret) == nil, "an expired session is refused")
        let beforePassword = try await store.createSession(userID: user.id, lifetimeSeconds: 3600)
        _ = try await store.setPasswordHash(userID: user.id, passwordHash: "y")
        try expect(try await store.principal(forSession: beforePassword.secret) == nil, "a new password signs the user out everywhere")
        let beforeRole = try await store.createSession(userID: other.id, lifetimeSeconds: 3600)
        _ = try await store.setRole(userID: other.id, schoolID: school, role: .viewer)
        try expect(try await store.principal(forSession: beforeRole.secret) == nil, "a changed role signs the user out everywhere")

        let token = try await store.createToken(schoolID: school, name: "lms", role: .manager, expiresAt: nil)
        try expect(try await store.principal(forToken: token.secret)?.role == .manager, "a token is its school's, with its role")
        try expect(try await store.principal(forToken: token.secret + "x") == nil, "an unknown token is refused")
        _ = try await store.revokeToken(id: token.token.id, schoolID: school)
        try expect(try await store.principal(forToken: token.secret) == nil, "a revoked token is refused")
        let lapsed = try await store.createToken(schoolID: school, name: "old", role: .viewer, expiresAt: Date().addingTimeInterval(-1))
        try expect(try await store.principal(forToken: lapsed.secret) == nil, "an expired token is refused")
    }

    // MARK: Tenants

    /// Every lookup by id is filtered by the school: another school's ids find nothing and
    /// change nothing.
    static func schoolsNeverSeeEachOthersRows(_ store: any EdControlStore) async throws {
        let (mine, theirs) = (try await newSchool(store, "Mine"), try await newSchool(store, "Theirs"))
        let job = try await addLesson(to: mine, store)
        let teacher = try await store.createTeacher(schoolID: mine, name: "Anna")
        let user = try await store.createUser(schoolID: mine, email: "anna@school.example", name: "Anna", role: .admin, passwordHash: "x")
        let token = try await store.createToken(schoolID: mine, name: "lms", role: .manager, expiresAt: nil)
        let webhook = try await store.addWebhook(schoolID: mine, url: "https://lms.example.org/hook", secret: "a-long-shared-secret")
        _ = try await store.saveReview(IncidentReview(id: newIdentifier(), lessonID: job.lessonID, schoolID: mine, incidentIndex: 0, start: 1, end: 2,
                                                      person: "S1", role: "teacher", modality: "voice", verdict: .confirmed, note: nil,
                                                      reviewer: "anna", reviewedAt: Date()))
        try await store.record(AuditEvent(schoolID: mine, actor: "anna", action: "lesson.upload", target: "lesson \(job.lessonID)"))

        try expect(try await store.lesson(id: job.lessonID, schoolID: theirs) == nil, "another school's lesson is not found")
        try expect(try await store.lessons(schoolID: theirs, matching: LessonQuery()).total == 0, "another school's lessons are not listed")
        try expect(try await store.job(id: job.id, schoolID: theirs) == nil, "another school's job is not found")
        try expect(try await store.cancel(jobID: job.id, schoolID: theirs) == nil, "another school's job is not cancelled")
        let theirTeachers = try await store.teachers(schoolID: theirs)
        try expect(try await store.teacher(id: teacher.id, schoolID: theirs) == nil && theirTeachers.isEmpty, "another school's teachers are not seen")
        try expect(try await store.users(schoolID: theirs).isEmpty, "another school's users are not listed")
        try expect(try await !store.setRole(userID: user.id, schoolID: theirs, role: .viewer), "another school's user's role is not changed")
        try expect(try await store.deleteUser(id: user.id, schoolID: theirs) == nil, "another school's user is not deleted")
        try expect(try await store.tokens(schoolID: theirs).isEmpty, "another school's tokens are not listed")
        try expect(try await store.revokeToken(id: token.token.id, schoolID: theirs) == nil, "another school's token is not revoked")
        try expect(try await store.webhooks(schoolID: theirs).isEmpty, "another school's webhooks are not listed")
        try expect(try await !store.deleteWebhook(id: webhook.id, schoolID: theirs), "another school's webhook is not deleted")
        try expect(try await store.deliveries(webhookID: webhook.id, schoolID: theirs, limit: 10) == nil, "another school's deliveries are not read")
        let theirReviews = try await store.reviews(lessonID: job.lessonID, schoolID: theirs) + store.reviews(schoolID: theirs)
        try expect(theirReviews.isEmpty, "another school's reviews are not read")
        try expect(try await store.auditEvents(schoolID: theirs, limit: 10, offset: 0).isEmpty, "another school's audit log is not read")
        try expect(try await store.deleteLesson(id: job.lessonID, schoolID: theirs) == nil, "another school's lesson is not deleted")
        let tokenSchool = try await store.principal(forToken: token.secret)?.schoolID
        try expect(try await store.lesson(id: job.lessonID, schoolID: mine) != nil && tokenSchool == mine, "the school's own rows are all still there")
    }

    // MARK: Making rows

    static let summary = AnalysisSummary(flag: "ok", incidentCount: 0, teacherTalkPercent: 55, speakerCount: 2, durationSeconds: 60,
                                         teacherNegativeShare: nil)

    static func newSchool(_ store: any EdControlStore, _ name: String) async throws -> String {
        guard let school = try await store.school(named: name + " " + newIdentifier(), createIfMissing: true) else {
            throw Broken("a school asked to be created is created")
        }
        return school.id
    }

    /// A lesson (its recording need not exist: the store keeps rows) and its queued job.
    static func addLesson(to school: String, _ store: any EdControlStore, maxAttempts: Int = 3) async throws -> Job {
        let lesson = Lesson(id: newIdentifier(), schoolID: school, teacherID: nil, title: "Lesson", originalFilename: "lesson.wav",
                            mediaBytes: 1000, mediaFile: "recording.wav", durationSeconds: 60, hasVideo: false, recordedAt: nil,
                            recordedAtHasTime: true, uploadedAt: Date(), uploadedBy: "conformance", flag: nil, incidentCount: nil,
                            teacherTalkPercent: nil, speakerCount: nil, teacherNegativeShare: nil, analysedAt: nil)
        return try await store.addLesson(lesson, maxAttempts: maxAttempts)
    }
}
