import EdControlEngine
import EdControlStorage
import Foundation
import PostgresKit

// MARK: JobQueue

extension PostgresStore {
    private static let active = "state IN ('queued', 'running')"
    /// Shadow runs are the operator's: schools never see their jobs, and they hold up nothing of the school's.
    private static let schoolsJob = "kind <> 'shadow'"

    public func enqueue(lessonID: String, schoolID: String, maxAttempts: Int) async throws -> Job {
        // The unique index job_one_active_per_lesson is the rule; this gives its refusal words.
        try await onDuplicate {
            try await transaction { db in try await Self.insertJob(lessonID: lessonID, schoolID: schoolID, maxAttempts: maxAttempts, db) }
        } then: { _ in
            throw StoreConflict(message: "this lesson is already queued or being analysed, or a voice is being enrolled from it; cancel that job first or wait for it",
                                key: "refusal_lesson_busy")
        }
    }

    public func enqueueVoiceEnrolment(teacherID: String, lessonID: String, speaker: String, schoolID: String, maxAttempts: Int) async throws -> Job {
        let lessonBusy = StoreConflict(message: "this lesson is being analysed again, which renumbers its speakers; enrol once that analysis has finished",
                                       key: "refusal_enrol_lesson_busy")
        return try await onDuplicate {
            try await transaction { db in
                // The speaker ids are those of the lesson's current report, which an analysis would replace.
                guard try await db.value("""
                    SELECT id FROM job WHERE lesson_id = \(bind: lessonID) AND kind = 'analysis' AND \(unsafeRaw: Self.active) LIMIT 1
                    """, as: String.self) == nil else { throw lessonBusy }
                return try await Self.insertJob(lessonID: lessonID, schoolID: schoolID, kind: .voiceEnrolment, teacherID: teacherID, speaker: speaker,
                                                maxAttempts: maxAttempts, db)
            }
        } then: { constraint in
            guard constraint == "job_one_active_enrolment_per_teacher" else { throw lessonBusy }
            throw StoreConflict(message: "this teacher's voice is already being enrolled; wait for that job or cancel it", key: "refusal_enrol_busy")
        }
    }

    /// Runs `body`; if a unique index or constraint refuses its write (SQLSTATE 23505),
    /// `then` answers instead, given the constraint's name. The database checks the rule,
    /// so two writers racing cannot both pass it.
    func onDuplicate<T>(_ body: () async throws -> T, then: (String?) async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            return try await then(error.serverInfo?[.constraintName])
        }
    }

    public func job(id: String, schoolID: String) async throws -> Job? {
        try await reading { db in
            try await db.record("SELECT * FROM job WHERE id = \(bind: id) AND school_id = \(bind: schoolID) AND \(unsafeRaw: Self.schoolsJob)")
        }
    }

    public func latestVoiceEnrolment(teacherID: String, schoolID: String) async throws -> Job? {
        try await reading { db in
            try await db.record("""
                SELECT * FROM job WHERE teacher_id = \(bind: teacherID) AND school_id = \(bind: schoolID) AND kind = 'voice_enrolment'
                ORDER BY created_at DESC LIMIT 1
                """)
        }
    }

    public func claimNext(workerID: String, leaseSeconds: Double) async throws -> Job? {
        // One statement, one round trip. Running jobs whose worker stopped renewing the lease,
        // and have no attempts left, fail (`lost`); of the rest, the oldest waiting job is
        // taken, skipping rows another claimer has locked: claimers never wait for each other
        // and never take one job twice. Lapsed leases first (they have waited longest), then
        // schools' work before shadow analyses. Both parts use partial indexes (job_leases,
        // job_waiting), so a claim stays cheap with thousands of jobs running or queued.
        try await reading { db in
            try await db.record("""
                WITH lost AS (
                    UPDATE job SET state = 'failed', finished_at = now(), worker_id = NULL, lease_expires_at = NULL,
                        failure_reason = 'worker_lost',
                        last_error = 'the analysis stopped ' || attempts || ' times before finishing (the worker was shut down or ran out of memory); re-analyse to try again'
                    WHERE state = 'running' AND lease_expires_at < now() AND attempts >= max_attempts
                    RETURNING id)
                UPDATE job SET state = 'running', attempts = attempts + 1, worker_id = \(bind: workerID), started_at = now(), heartbeat_at = now(),
                    lease_expires_at = now() + make_interval(secs => \(bind: leaseSeconds)), stage = \(bind: AnalysisStage.probing.rawValue), progress = 0
                WHERE id = COALESCE(
                    (SELECT id FROM job WHERE state = 'running' AND lease_expires_at < now() AND attempts < max_attempts
                     ORDER BY lease_expires_at LIMIT 1 FOR UPDATE SKIP LOCKED),
                    (SELECT id FROM job WHERE state = 'queued' ORDER BY (kind <> 'shadow') DESC, created_at LIMIT 1 FOR UPDATE SKIP LOCKED))
                RETURNING *
                """, as: Job.self)
        }
    }

    public func apply(_ transition: JobTransition, jobID: String, workerID: String) async throws -> Bool {
        try await transaction { db in
            let held: SQLQueryString = "id = \(bind: jobID) AND worker_id = \(bind: workerID) AND state = 'running'"
            switch transition {
            case .heartbeat(let stage, let progress, let leaseSeconds):
                return try await db.changed("""
                    UPDATE job SET stage = \(bind: stage), progress = \(bind: progress), heartbeat_at = now(),
                        lease_expires_at = now() + make_interval(secs => \(bind: leaseSeconds))
                    WHERE \(held) RETURNING id
                    """) == 1
            case .succeed(let result):
                guard let lessonID = try await db.value("""
                    UPDATE job SET state = 'succeeded', progress = 1, stage = NULL, finished_at = now(), worker_id = NULL, lease_expires_at = NULL,
                        last_error = NULL, failure_reason = NULL
                    WHERE \(held) AND kind = \(bind: result.kind.rawValue)
                    RETURNING lesson_id
                    """, as: String.self) else { return false }
                try await Self.store(result, ofJob: jobID, lessonID: lessonID, in: db)
                return true
            case .fail(let reason, let message):
                return try await db.changed("""
                    UPDATE job SET state = 'failed', stage = NULL, finished_at = now(), worker_id = NULL, lease_expires_at = NULL,
                        last_error = \(bind: message), failure_reason = \(bind: reason)
                    WHERE \(held) RETURNING id
                    """) == 1
            case .release:
                guard try await db.changed("""
                    UPDATE job SET state = 'queued', stage = NULL, progress = 0, attempts = GREATEST(0, attempts - 1), worker_id = NULL,
                        lease_expires_at = NULL
                    WHERE \(held) RETURNING id
                    """) == 1 else { return false }
                try await db.execute("NOTIFY \(unsafeRaw: Self.jobQueuedChannel)")
                return true
            }
        }
    }

    /// Stores what a job made, in its success's transaction.
    private static func store(_ result: JobResult, ofJob jobID: String, lessonID: String, in db: any SQLDatabase) async throws {
        switch result {
        case .analysis(let summary, let resultsSet):
            try await record(summary, lessonID: lessonID, analysed: true, in: db)
            try await db.execute("UPDATE lesson SET results_set = \(bind: resultsSet) WHERE id = \(bind: lessonID)")
        case .voiceProfile(let profile):
            try await db.execute("UPDATE teacher SET voice_profile = \(bind: profile) WHERE id = (SELECT teacher_id FROM job WHERE id = \(bind: jobID))")
        case .shadow(let result):
            try await saveShadowResult(result, in: db)
        }
    }

    public func lessonsWithOutdatedSummaries() async throws -> [Lesson] {
        try await reading { db in
            try await db.records("SELECT * FROM lesson WHERE analysed_at IS NOT NULL AND summary_version < \(bind: AnalysisSummary.version) ORDER BY id")
        }
    }

    public func updateSummary(lessonID: String, summary: AnalysisSummary) async throws {
        try await reading { db in try await Self.record(summary, lessonID: lessonID, analysed: false, in: db) }
    }

    /// Writes a lesson's list figures; `analysed` says the analysis is new (else the time it was analysed stays).
    private static func record(_ summary: AnalysisSummary, lessonID: String, analysed: Bool, in db: any SQLDatabase) async throws {
        try await db.execute("""
            UPDATE lesson SET flag = \(bind: summary.flag), incident_count = \(bind: summary.incidentCount),
                teacher_talk_percent = \(bind: summary.teacherTalkPercent), speaker_count = \(bind: summary.speakerCount),
                duration_seconds = \(bind: summary.durationSeconds), teacher_negative_share = \(bind: summary.teacherNegativeShare),
                peak_intensity = \(bind: summary.peakIntensity), teacher_incident_count = \(bind: summary.teacherIncidentCount),
                summary_version = \(bind: AnalysisSummary.version),
                analysed_at = \(unsafeRaw: analysed ? "now()" : "analysed_at")
            WHERE id = \(bind: lessonID)
            """)
    }

    public func cancel(jobID: String, schoolID: String) async throws -> (job: Job, cancelled: Bool)? {
        try await transaction { db in
            let cancelled = try await db.changed("""
                UPDATE job SET state = 'cancelled', stage = NULL, finished_at = now(), worker_id = NULL, lease_expires_at = NULL
                WHERE id = \(bind: jobID) AND school_id = \(bind: schoolID) AND \(unsafeRaw: Self.active) AND \(unsafeRaw: Self.schoolsJob)
                RETURNING id
                """) == 1
            let job = try await db.record("""
                SELECT * FROM job WHERE id = \(bind: jobID) AND school_id = \(bind: schoolID) AND \(unsafeRaw: Self.schoolsJob)
                """, as: Job.self)
            return job.map { ($0, cancelled) }
        }
    }

    public func jobCounts() async throws -> [Job.State: Int] {
        try await reading { db in
            var counts = Dictionary(uniqueKeysWithValues: Job.State.allCases.map { ($0, 0) })
            for row in try await db.raw("SELECT state, COUNT(*) AS n FROM job GROUP BY state").all() {
                if let state = Job.State(rawValue: try row.decode(column: "state", as: String.self)) {
                    counts[state] = try row.decode(column: "n", as: Int.self)
                }
            }
            return counts
        }
    }
}
