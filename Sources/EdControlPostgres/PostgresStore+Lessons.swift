import EdControlEngine
import EdControlStorage
import Foundation
import PostgresKit

// MARK: LessonStore

extension PostgresStore {
    public func createTeacher(schoolID: String, name: String) async throws -> Teacher {
        let teacher = Teacher(id: newIdentifier(), schoolID: schoolID, name: name, createdAt: Date(), voiceProfile: nil)
        try await reading { db in try await db.insert(teacher, into: "teacher") }
        return teacher
    }

    public func teachers(schoolID: String) async throws -> [Teacher] {
        try await reading { db in try await db.records("SELECT * FROM teacher WHERE school_id = \(bind: schoolID) ORDER BY name") }
    }

    public func teacher(id: String, schoolID: String) async throws -> Teacher? {
        try await reading { db in try await db.record("SELECT * FROM teacher WHERE id = \(bind: id) AND school_id = \(bind: schoolID)") }
    }

    public func addLesson(_ lesson: Lesson, maxAttempts: Int) async throws -> Job {
        try await transaction { db in
            try await db.insert(lesson, into: "lesson")
            return try await Self.insertJob(lessonID: lesson.id, schoolID: lesson.schoolID, maxAttempts: maxAttempts, db)
        }
    }

    static func insertJob(lessonID: String, schoolID: String, kind: Job.Kind = .analysis, teacherID: String? = nil, speaker: String? = nil,
                          configurationVersion: String? = nil, maxAttempts: Int, _ db: any SQLDatabase) async throws -> Job {
        let job = Job(id: newIdentifier(), lessonID: lessonID, schoolID: schoolID, kind: kind, teacherID: teacherID, speaker: speaker,
                      configurationVersion: configurationVersion, state: .queued, stage: nil, progress: 0,
                      attempts: 0, maxAttempts: maxAttempts, lastError: nil, failureReason: nil, createdAt: Date(),
                      startedAt: nil, finishedAt: nil, workerID: nil, leaseExpiresAt: nil, heartbeatAt: nil)
        try await db.insert(job, into: "job")
        try await db.execute("NOTIFY \(unsafeRaw: jobQueuedChannel)")
        return job
    }

    /// What an idle worker listens on: every queued job is announced here as its
    /// transaction commits.
    static let jobQueuedChannel = "edcontrol_job_queued"

    /// Each lesson with its latest analysis (`latest.job_id`, `latest.job_state`), joined in
    /// SQL so a page is one query.
    private static let lessonsWithLatestJob = """
        FROM lesson
        LEFT JOIN LATERAL (SELECT id AS job_id, state AS job_state FROM job
                           WHERE job.lesson_id = lesson.id AND kind = 'analysis' ORDER BY created_at DESC LIMIT 1) AS latest ON true
        LEFT JOIN teacher ON teacher.id = lesson.teacher_id
        """

    public func lessons(schoolID: String, matching query: LessonQuery) async throws -> (items: [LessonWithJob], total: Int) {
        try await reading { db in
            var conditions: [SQLQueryString] = ["lesson.school_id = \(bind: schoolID)"]
            if let teacher = query.teacherID { conditions.append("lesson.teacher_id = \(bind: teacher)") }
            if let state = query.state { conditions.append("latest.job_state = \(bind: state.rawValue)") }
            if let flag = query.flag { conditions.append("lesson.flag = \(bind: flag)") }
            if let from = query.from { conditions.append("\(unsafeRaw: LessonQuery.lessonDateSQL) >= \(bind: from)") }
            if let before = query.before { conditions.append("\(unsafeRaw: LessonQuery.lessonDateSQL) < \(bind: before)") }
            if let pattern = query.searchPattern {
                conditions.append("(edc_fold(lesson.title) LIKE \(bind: pattern) OR edc_fold(teacher.name) LIKE \(bind: pattern))")
            }
            let filtered: SQLQueryString = "\(unsafeRaw: Self.lessonsWithLatestJob) WHERE \(conditions.joined(separator: " AND "))"
            let total = try await db.value("SELECT COUNT(*) \(filtered)", as: Int.self) ?? 0
            let rows = try await db.raw("""
                SELECT lesson.*, latest.job_id \(filtered) ORDER BY \(unsafeRaw: query.orderSQL), lesson.id LIMIT \(bind: query.limit) OFFSET \(bind: query.offset)
                """).all()
            return (try await Self.lessonsWithJobs(rows, db), total)
        }
    }

    public func lesson(id: String, schoolID: String) async throws -> LessonWithJob? {
        try await reading { db in
            let rows = try await db.raw("""
                SELECT lesson.*, latest.job_id \(unsafeRaw: Self.lessonsWithLatestJob) WHERE lesson.id = \(bind: id) AND lesson.school_id = \(bind: schoolID)
                """).all()
            return try await Self.lessonsWithJobs(rows, db).first
        }
    }

    private static func lessonsWithJobs(_ rows: [any SQLRow], _ db: any SQLDatabase) async throws -> [LessonWithJob] {
        let lessons = try rows.map { try $0.decode(model: Lesson.self, keyDecodingStrategy: .columnNames) }
        let jobIDs = try rows.compactMap { try $0.decodeNil(column: "job_id") ? nil : try $0.decode(column: "job_id", as: String.self) }
        let jobs = jobIDs.isEmpty ? [] : try await db.records("SELECT * FROM job WHERE id = ANY(\(bind: jobIDs))", as: Job.self)
        let jobsByID = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })
        return try zip(lessons, rows).map { lesson, row in
            let jobID = try row.decodeNil(column: "job_id") ? nil : try row.decode(column: "job_id", as: String.self)
            return LessonWithJob(lesson: lesson, job: jobID.flatMap { jobsByID[$0] })
        }
    }

    public func deleteLesson(id: String, schoolID: String) async throws -> Lesson? {
        try await transaction { db in
            // Its jobs, reviews, features and transcript lines go with it (ON DELETE CASCADE);
            // webhook deliveries carry the lesson's title and file name in their bodies.
            guard let lesson = try await db.record("DELETE FROM lesson WHERE id = \(bind: id) AND school_id = \(bind: schoolID) RETURNING *",
                                                    as: Lesson.self) else { return nil }
            try await db.execute("DELETE FROM webhook_delivery WHERE lesson_id = \(bind: lesson.id)")
            return lesson
        }
    }

    public func publishedResults() async throws -> [String: String] {
        try await reading { db in
            let rows = try await db.raw("SELECT id, COALESCE(results_set, \(bind: ResultsSet.beforeRuns)) AS results_set FROM lesson").all()
            return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "results_set", as: String.self)) })
        }
    }
}

// MARK: WebhookStore

extension PostgresStore {
    public func addWebhook(schoolID: String, url: String, secret: String) async throws -> Webhook {
        let webhook = Webhook(id: newIdentifier(), schoolID: schoolID, url: url, secret: secret, createdAt: Date())
        try await reading { db in try await db.insert(webhook, into: "webhook") }
        return webhook
    }

    public func webhooks(schoolID: String) async throws -> [Webhook] {
        try await reading { db in try await db.records("SELECT * FROM webhook WHERE school_id = \(bind: schoolID) ORDER BY created_at") }
    }

    public func deleteWebhook(id: String, schoolID: String) async throws -> Bool {
        try await reading { db in
            try await db.changed("DELETE FROM webhook WHERE id = \(bind: id) AND school_id = \(bind: schoolID) RETURNING id") == 1
        }
    }

    public func queueEvent(schoolID: String, lessonID: String, event: String, payload: (String) -> String) async throws {
        let hooks = try await webhooks(schoolID: schoolID)
        let deliveries = hooks.map { hook in
            let id = newIdentifier()
            return WebhookDelivery(id: id, webhookID: hook.id, schoolID: schoolID, lessonID: lessonID, event: event, payload: payload(id), state: .pending,
                                   attempts: 0, nextAttemptAt: Date(), lastStatus: nil, lastError: nil, createdAt: Date(), deliveredAt: nil)
        }
        try await transaction { db in for delivery in deliveries { try await db.insert(delivery, into: "webhook_delivery") } }
    }

    public func dueDeliveries(limit: Int, lockSeconds: Double) async throws -> [(WebhookDelivery, Webhook)] {
        try await transaction { db in
            // One statement picks the due deliveries, skipping those another sender holds, and
            // moves them out of reach for `lockSeconds`: two senders never take the same one.
            let locked = try await db.records("""
                UPDATE webhook_delivery SET next_attempt_at = now() + make_interval(secs => \(bind: lockSeconds))
                WHERE id IN (SELECT id FROM webhook_delivery WHERE state = 'pending' AND next_attempt_at <= now()
                             ORDER BY next_attempt_at LIMIT \(bind: limit) FOR UPDATE SKIP LOCKED)
                RETURNING *
                """, as: WebhookDelivery.self)
            let hooks = locked.isEmpty ? [] : try await db.records("SELECT * FROM webhook WHERE id = ANY(\(bind: locked.map(\.webhookID)))", as: Webhook.self)
            let hooksByID = Dictionary(uniqueKeysWithValues: hooks.map { ($0.id, $0) })
            return locked.sorted { $0.createdAt < $1.createdAt }.compactMap { delivery in hooksByID[delivery.webhookID].map { (delivery, $0) } }
        }
    }

    public func recordAttempt(deliveryID: String, status: Int?, error: String?, delivered: Bool, retryAt: Date?) async throws {
        let state: WebhookDelivery.State = delivered ? .delivered : (retryAt == nil ? .failed : .pending)
        try await reading { db in
            try await db.execute("""
                UPDATE webhook_delivery SET attempts = attempts + 1, last_status = \(bind: status), last_error = \(bind: error),
                    state = \(bind: state.rawValue), next_attempt_at = \(bind: delivered ? nil : retryAt),
                    delivered_at = \(bind: delivered ? Date() : nil)
                WHERE id = \(bind: deliveryID)
                """)
        }
    }

    public func deliveries(webhookID: String, schoolID: String, limit: Int) async throws -> [WebhookDelivery]? {
        try await reading { db in
            guard try await db.value("SELECT id FROM webhook WHERE id = \(bind: webhookID) AND school_id = \(bind: schoolID)", as: String.self) != nil else {
                return nil
            }
            return try await db.records("SELECT * FROM webhook_delivery WHERE webhook_id = \(bind: webhookID) ORDER BY created_at DESC LIMIT \(bind: limit)")
        }
    }
}

// MARK: ReviewStore

extension PostgresStore {
    public func saveReview(_ review: IncidentReview) async throws -> IncidentReview {
        try await transaction { db in
            // The same incident of the same analysis (index and times) keeps one verdict.
            try await db.execute("""
                DELETE FROM incident_review WHERE lesson_id = \(bind: review.lessonID) AND incident_index = \(bind: review.incidentIndex)
                    AND start = \(bind: review.start) AND "end" = \(bind: review.end)
                """)
            try await db.insert(review, into: "incident_review")
            return review
        }
    }

    public func reviews(lessonID: String, schoolID: String) async throws -> [IncidentReview] {
        try await reading { db in
            try await db.records("SELECT * FROM incident_review WHERE lesson_id = \(bind: lessonID) AND school_id = \(bind: schoolID) ORDER BY start")
        }
    }

    public func reviews(schoolID: String) async throws -> [IncidentReview] {
        try await reading { db in try await db.records("SELECT * FROM incident_review WHERE school_id = \(bind: schoolID) ORDER BY reviewed_at") }
    }
}

// MARK: AuditStore

extension PostgresStore {
    public func record(_ event: AuditEvent) async throws {
        try await reading { db in try await db.insert(event, into: "audit_event") }
    }

    public func auditEvents(schoolID: String, limit: Int, offset: Int) async throws -> [AuditEvent] {
        try await reading { db in
            try await db.records("SELECT * FROM audit_event WHERE school_id = \(bind: schoolID) ORDER BY at DESC LIMIT \(bind: limit) OFFSET \(bind: offset)")
        }
    }

    public func lessonsWithMedia(uploadedBefore date: Date) async throws -> [Lesson] {
        try await reading { db in try await db.records("SELECT * FROM lesson WHERE media_file IS NOT NULL AND uploaded_at < \(bind: date)") }
    }

    public func clearMedia(lessonID: String) async throws {
        try await reading { db in try await db.execute("UPDATE lesson SET media_file = NULL WHERE id = \(bind: lessonID)") }
    }
}
