import EdControlEngine
import EdControlStorage
import Foundation
import GRDB

extension SQLiteStore {
    // MARK: JobQueue

    private static let active = [Job.State.queued.rawValue, Job.State.running.rawValue].contains(Column("state"))
    /// Shadow runs are the operator's: schools never see their jobs, and they hold up nothing of the school's.
    private static let schoolsJob = Column("kind") != Job.Kind.shadow.rawValue

    public func enqueue(lessonID: String, schoolID: String, maxAttempts: Int) async throws -> Job {
        defer { queued.signal() }  // after the row is committed
        return try await database.write { db in
            guard try Job.filter(Column("lesson_id") == lessonID && Self.schoolsJob && Self.active).fetchCount(db) == 0 else {
                throw StoreConflict(message: "this lesson is already queued or being analysed, or a voice is being enrolled from it; cancel that job first or wait for it",
                                    key: "refusal_lesson_busy")
            }
            return try Self.insertJob(lessonID: lessonID, schoolID: schoolID, maxAttempts: maxAttempts, db)
        }
    }

    public func enqueueVoiceEnrolment(teacherID: String, lessonID: String, speaker: String, schoolID: String, maxAttempts: Int) async throws -> Job {
        defer { queued.signal() }  // after the row is committed
        return try await database.write { db in
            // The speaker ids are those of the lesson's current report, which an analysis would replace.
            guard try Job.filter(Column("lesson_id") == lessonID && Column("kind") == Job.Kind.analysis.rawValue && Self.active).fetchCount(db) == 0 else {
                throw StoreConflict(message: "this lesson is being analysed again, which renumbers its speakers; enrol once that analysis has finished",
                                    key: "refusal_enrol_lesson_busy")
            }
            guard try Job.filter(Column("teacher_id") == teacherID && Self.active).fetchCount(db) == 0 else {
                throw StoreConflict(message: "this teacher's voice is already being enrolled; wait for that job or cancel it", key: "refusal_enrol_busy")
            }
            return try Self.insertJob(lessonID: lessonID, schoolID: schoolID, kind: .voiceEnrolment, teacherID: teacherID, speaker: speaker,
                                      maxAttempts: maxAttempts, db)
        }
    }

    public func job(id: String, schoolID: String) async throws -> Job? {
        try await database.read { db in try Job.filter(Column("id") == id && Column("school_id") == schoolID && Self.schoolsJob).fetchOne(db) }
    }

    public func latestVoiceEnrolment(teacherID: String, schoolID: String) async throws -> Job? {
        try await database.read { db in
            try Job.filter(Column("teacher_id") == teacherID && Column("school_id") == schoolID && Column("kind") == Job.Kind.voiceEnrolment.rawValue)
                .order(Column("created_at").desc).fetchOne(db)
        }
    }

    public func claimNext(workerID: String, leaseSeconds: Double) async throws -> Job? {
        try await database.write { db in
            let now = Date().timeIntervalSince1970
            // Running jobs whose worker stopped renewing the lease, and have no attempts left, fail.
            try db.execute(sql: """
                UPDATE job SET state = 'failed', finished_at = ?, worker_id = NULL, lease_expires_at = NULL,
                    failure_reason = 'worker_lost',
                    last_error = 'the analysis stopped ' || attempts || ' times before finishing (the worker was shut down or ran out of memory); re-analyse to try again'
                WHERE state = 'running' AND lease_expires_at < ? AND attempts >= max_attempts
                """, arguments: [now, now])
            // One statement picks and takes the job, its conditions checked as it writes.
            // Schools' work first: a shadow analysis waits until no lesson of theirs does.
            let waiting = "(state = 'queued' OR (state = 'running' AND lease_expires_at < :now AND attempts < max_attempts))"
            return try Job.fetchOne(db, sql: """
                UPDATE job SET state = 'running', attempts = attempts + 1, worker_id = :worker, started_at = :now, heartbeat_at = :now,
                    lease_expires_at = :lease, stage = :stage, progress = 0
                WHERE \(waiting) AND id = (SELECT id FROM job WHERE \(waiting) ORDER BY kind != 'shadow' DESC, created_at LIMIT 1)
                RETURNING *
                """, arguments: ["now": now, "worker": workerID, "lease": now + leaseSeconds, "stage": AnalysisStage.probing.rawValue])
        }
    }

    public func apply(_ transition: JobTransition, jobID: String, workerID: String) async throws -> Bool {
        defer { if case .release = transition { queued.signal() } }
        return try await database.write { db in
            let now = Date().timeIntervalSince1970
            let held = "id = :job AND worker_id = :worker AND state = 'running'"
            var arguments: StatementArguments = ["job": jobID, "worker": workerID, "now": now]
            switch transition {
            case .heartbeat(let stage, let progress, let leaseSeconds):
                arguments += ["stage": stage, "progress": progress, "lease": now + leaseSeconds]
                try db.execute(sql: "UPDATE job SET stage = :stage, progress = :progress, heartbeat_at = :now, lease_expires_at = :lease WHERE \(held)",
                               arguments: arguments)
            case .succeed(let result):
                arguments += ["kind": result.kind.rawValue]
                guard let lessonID = try String.fetchOne(db, sql: """
                    UPDATE job SET state = 'succeeded', progress = 1, stage = NULL, finished_at = :now, worker_id = NULL, lease_expires_at = NULL,
                        last_error = NULL, failure_reason = NULL
                    WHERE \(held) AND kind = :kind
                    RETURNING lesson_id
                    """, arguments: arguments) else { return false }
                try Self.store(result, ofJob: jobID, lessonID: lessonID, at: now, in: db)
                return true
            case .fail(let reason, let message):
                arguments += ["reason": reason, "message": message]
                try db.execute(sql: """
                    UPDATE job SET state = 'failed', stage = NULL, finished_at = :now, worker_id = NULL, lease_expires_at = NULL,
                        last_error = :message, failure_reason = :reason
                    WHERE \(held)
                    """, arguments: arguments)
            case .release:
                try db.execute(sql: """
                    UPDATE job SET state = 'queued', stage = NULL, progress = 0, attempts = MAX(0, attempts - 1), worker_id = NULL,
                        lease_expires_at = NULL
                    WHERE \(held)
                    """, arguments: arguments)
            }
            return db.changesCount == 1
        }
    }

    /// Stores what a job made, in its success's transaction.
    private static func store(_ result: JobResult, ofJob jobID: String, lessonID: String, at now: Double, in db: Database) throws {
        switch result {
        case .analysis(let summary, let resultsSet):
            try record(summary, lessonID: lessonID, analysedAt: now, in: db)
            try db.execute(sql: "UPDATE lesson SET results_set = ? WHERE id = ?", arguments: [resultsSet, lessonID])
        case .voiceProfile(let profile):
            try db.execute(sql: "UPDATE teacher SET voice_profile = ? WHERE id = (SELECT teacher_id FROM job WHERE id = ?)", arguments: [profile, jobID])
        case .shadow(let result):
            try StoredShadowResult(result).save(db)
        }
    }

    public func lessonsWithOutdatedSummaries() async throws -> [Lesson] {
        try await database.read { db in
            try Lesson.fetchAll(db, sql: "SELECT * FROM lesson WHERE analysed_at IS NOT NULL AND summary_version < ? ORDER BY id",
                                arguments: [AnalysisSummary.version])
        }
    }

    public func updateSummary(lessonID: String, summary: AnalysisSummary) async throws {
        try await database.write { db in try Self.record(summary, lessonID: lessonID, analysedAt: nil, in: db) }
    }

    /// Writes a lesson's list figures; `analysedAt` nil keeps the time it was analysed.
    private static func record(_ summary: AnalysisSummary, lessonID: String, analysedAt: Double?, in db: Database) throws {
        try db.execute(sql: """
            UPDATE lesson SET flag = ?, incident_count = ?, teacher_talk_percent = ?, speaker_count = ?, duration_seconds = ?,
                teacher_negative_share = ?, peak_intensity = ?, teacher_incident_count = ?, summary_version = ?,
                analysed_at = coalesce(?, analysed_at)
            WHERE id = ?
            """, arguments: [summary.flag, summary.incidentCount, summary.teacherTalkPercent, summary.speakerCount,
                             summary.durationSeconds, summary.teacherNegativeShare, summary.peakIntensity, summary.teacherIncidentCount,
                             AnalysisSummary.version, analysedAt, lessonID])
    }

    public func cancel(jobID: String, schoolID: String) async throws -> (job: Job, cancelled: Bool)? {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE job SET state = 'cancelled', stage = NULL, finished_at = ?, worker_id = NULL, lease_expires_at = NULL
                WHERE id = ? AND school_id = ? AND state IN ('queued', 'running') AND kind != 'shadow'
                """, arguments: [Date().timeIntervalSince1970, jobID, schoolID])
            let cancelled = db.changesCount == 1
            return try Job.filter(Column("id") == jobID && Column("school_id") == schoolID && Self.schoolsJob).fetchOne(db).map { ($0, cancelled) }
        }
    }

    public func waitForWork(upTo seconds: Double) async { await queued.wait(upTo: seconds) }

    public func jobCounts() async throws -> [Job.State: Int] {
        try await database.read { db in
            var counts = Dictionary(uniqueKeysWithValues: Job.State.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                if let state = Job.State(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }
}
