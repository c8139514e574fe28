import EdControlEngine
import EdControlStorage
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode (readers never wait for the writer),
/// shared by the server and any `edcontrol worker` processes on the same machine.
public final class SQLiteStore: EdControlStore {
    let database: DatabasePool
    /// Wakes this process's idle workers when a job is queued here; a worker in another
    /// process finds it at its next poll (SQLite has no notifications between processes).
    let queued = JobSignal()

    /// Opens (creating and migrating if needed) the database at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        // Another process (a separate worker) may hold the write lock for a moment.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            db.add(function: DatabaseFunction("edc_fold", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0])?.searchFolded
            })
        }
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    // MARK: LessonStore

    public func createTeacher(schoolID: String, name: String) async throws -> Teacher {
        let teacher = Teacher(id: newIdentifier(), schoolID: schoolID, name: name, createdAt: Date(), voiceProfile: nil)
        try await database.write { db in try teacher.insert(db) }
        return teacher
    }

    public func teachers(schoolID: String) async throws -> [Teacher] {
        try await database.read { db in try Teacher.filter(Column("school_id") == schoolID).order(Column("name")).fetchAll(db) }
    }

    public func teacher(id: String, schoolID: String) async throws -> Teacher? {
        try await database.read { db in try Teacher.filter(Column("id") == id && Column("school_id") == schoolID).fetchOne(db) }
    }

    public func addLesson(_ lesson: Lesson, maxAttempts: Int) async throws -> Job {
        defer { queued.signal() }  // after the row is committed
        return try await database.write { db in
            try lesson.insert(db)
            return try Self.insertJob(lessonID: lesson.id, schoolID: lesson.schoolID, maxAttempts: maxAttempts, db)
        }
    }

    static func insertJob(lessonID: String, schoolID: String, kind: Job.Kind = .analysis, teacherID: String? = nil, speaker: String? = nil,
                          configurationVersion: String? = nil, maxAttempts: Int, _ db: Database) throws -> Job {
        let job = Job(id: newIdentifier(), lessonID: lessonID, schoolID: schoolID, kind: kind, teacherID: teacherID, speaker: speaker,
                      configurationVersion: configurationVersion, state: .queued, stage: nil, progress: 0,
                      attempts: 0, maxAttempts: maxAttempts, lastError: nil, failureReason: nil, createdAt: Date(),
                      startedAt: nil, finishedAt: nil, workerID: nil, leaseExpiresAt: nil, heartbeatAt: nil)
        try job.insert(db)
        return job
    }

    /// The latest analysis of each lesson, joined in SQL so a page is one query.
    private static let lessonWithLatestJob = """
        SELECT lesson.*, job.id AS job_id FROM lesson
        LEFT JOIN job ON job.id = (SELECT id FROM job WHERE lesson_id = lesson.id AND kind = 'analysis' ORDER BY created_at DESC LIMIT 1)
        """

    public func lessons(schoolID: String, matching query: LessonQuery) async throws -> (items: [LessonWithJob], total: Int) {
        try await database.read { db in
            var conditions = ["lesson.school_id = ?"]
            var arguments: [any DatabaseValueConvertible] = [schoolID]
            if let teacher = query.teacherID { conditions.append("lesson.teacher_id = ?"); arguments.append(teacher) }
            if let state = query.state { conditions.append("job.state = ?"); arguments.append(state.rawValue) }
            if let flag = query.flag { conditions.append("lesson.flag = ?"); arguments.append(flag) }
            if let from = query.from { conditions.append("\(LessonQuery.lessonDateSQL) >= ?"); arguments.append(from.timeIntervalSince1970) }
            if let before = query.before { conditions.append("\(LessonQuery.lessonDateSQL) < ?"); arguments.append(before.timeIntervalSince1970) }
            if let pattern = query.searchPattern {
                conditions.append("(edc_fold(lesson.title) LIKE ? ESCAPE '\\' OR edc_fold(teacher.name) LIKE ? ESCAPE '\\')")
                arguments += [pattern, pattern]
            }
            let filtered = "\(Self.lessonWithLatestJob) LEFT JOIN teacher ON teacher.id = lesson.teacher_id WHERE \(conditions.joined(separator: " AND "))"
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(filtered))", arguments: StatementArguments(arguments)) ?? 0
            let rows = try Row.fetchAll(db, sql: "\(filtered) ORDER BY \(query.orderSQL), lesson.id LIMIT ? OFFSET ?",
                                        arguments: StatementArguments(arguments + [query.limit, query.offset]))
            return (try rows.map { try Self.lessonWithJob($0, db) }, total)
        }
    }

    public func lesson(id: String, schoolID: String) async throws -> LessonWithJob? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "\(Self.lessonWithLatestJob) WHERE lesson.id = ? AND lesson.school_id = ?", arguments: [id, schoolID])
                .map { try Self.lessonWithJob($0, db) }
        }
    }

    private static func lessonWithJob(_ row: Row, _ db: Database) throws -> LessonWithJob {
        let jobID: String? = row["job_id"]
        return LessonWithJob(lesson: try Lesson(row: row), job: try jobID.flatMap { try Job.fetchOne(db, key: $0) })
    }

    public func deleteLesson(id: String, schoolID: String) async throws -> Lesson? {
        try await database.write { db in
            guard let lesson = try Lesson.filter(Column("id") == id && Column("school_id") == schoolID).fetchOne(db) else { return nil }
            try lesson.delete(db)  // its jobs, reviews and features go with it (ON DELETE CASCADE)
            // A full-text index has no foreign keys: its lines go by hand.
            try db.execute(sql: "DELETE FROM transcript_line WHERE lesson_id = ?", arguments: [lesson.id])
            // Webhook deliveries carry the lesson's title and file name in their bodies.
            try db.execute(sql: "DELETE FROM webhook_delivery WHERE lesson_id = ?", arguments: [lesson.id])
            return lesson
        }
    }

    public func publishedResults() async throws -> [String: String] {
        try await database.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, COALESCE(results_set, ?) AS results_set FROM lesson", arguments: [ResultsSet.beforeRuns])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["id"], $0["results_set"]) })
        }
    }
}

// MARK: WebhookStore

extension SQLiteStore {
    public func addWebhook(schoolID: String, url: String, secret: String) async throws -> Webhook {
        let webhook = Webhook(id: newIdentifier(), schoolID: schoolID, url: url, secret: secret, createdAt: Date())
        try await database.write { db in try webhook.insert(db) }
        return webhook
    }

    public func webhooks(schoolID: String) async throws -> [Webhook] {
        try await database.read { db in try Webhook.filter(Column("school_id") == schoolID).order(Column("created_at")).fetchAll(db) }
    }

    public func deleteWebhook(id: String, schoolID: String) async throws -> Bool {
        try await database.write { db in
            try Webhook.filter(Column("id") == id && Column("school_id") == schoolID).deleteAll(db) == 1
        }
    }

    public func queueEvent(schoolID: String, lessonID: String, event: String, payload: (String) -> String) async throws {
        let hooks = try await webhooks(schoolID: schoolID)
        let deliveries = hooks.map { hook in
            let id = newIdentifier()
            return WebhookDelivery(id: id, webhookID: hook.id, schoolID: schoolID, lessonID: lessonID, event: event, payload: payload(id), state: .pending,
                                   attempts: 0, nextAttemptAt: Date(), lastStatus: nil, lastError: nil, createdAt: Date(), deliveredAt: nil)
        }
        try await database.write { db in for delivery in deliveries { try delivery.insert(db) } }
    }

    public func dueDeliveries(limit: Int, lockSeconds: Double) async throws -> [(WebhookDelivery, Webhook)] {
        try await database.write { db in
            // One statement picks and locks the due deliveries, its conditions checked as it
            // writes, so two senders never take the same one.
            let now = Date().timeIntervalSince1970
            let due = "state = 'pending' AND next_attempt_at <= :now"
            let locked = try WebhookDelivery.fetchAll(db, sql: """
                UPDATE webhook_delivery SET next_attempt_at = :until
                WHERE \(due) AND id IN (SELECT id FROM webhook_delivery WHERE \(due) ORDER BY next_attempt_at LIMIT :limit)
                RETURNING *
                """, arguments: ["now": now, "until": now + lockSeconds, "limit": limit])
            return try locked.sorted { $0.createdAt < $1.createdAt }.compactMap { delivery in
                try Webhook.fetchOne(db, key: delivery.webhookID).map { (delivery, $0) }
            }
        }
    }

    public func recordAttempt(deliveryID: String, status: Int?, error: String?, delivered: Bool, retryAt: Date?) async throws {
        try await database.write { db in
            guard var delivery = try WebhookDelivery.fetchOne(db, key: deliveryID) else { return }
            delivery.attempts += 1
            delivery.lastStatus = status
            delivery.lastError = error
            delivery.state = delivered ? .delivered : (retryAt == nil ? .failed : .pending)
            delivery.nextAttemptAt = delivered ? nil : retryAt
            delivery.deliveredAt = delivered ? Date() : nil
            try delivery.update(db)
        }
    }

    public func deliveries(webhookID: String, schoolID: String, limit: Int) async throws -> [WebhookDelivery]? {
        try await database.read { db in
            guard try Webhook.filter(Column("id") == webhookID && Column("school_id") == schoolID).fetchCount(db) == 1 else { return nil }
            return try WebhookDelivery.filter(Column("webhook_id") == webhookID).order(Column("created_at").desc).limit(limit).fetchAll(db)
        }
    }
}

// MARK: ReviewStore

extension SQLiteStore {
    public func saveReview(_ review: IncidentReview) async throws -> IncidentReview {
        try await database.write { db in
            // The same incident of the same analysis (index and times) keeps one verdict.
            try IncidentReview.filter(Column("lesson_id") == review.lessonID && Column("incident_index") == review.incidentIndex
                                      && Column("start") == review.start && Column("end") == review.end).deleteAll(db)
            try review.insert(db)
            return review
        }
    }

    public func reviews(lessonID: String, schoolID: String) async throws -> [IncidentReview] {
        try await database.read { db in
            try IncidentReview.filter(Column("lesson_id") == lessonID && Column("school_id") == schoolID).order(Column("start")).fetchAll(db)
        }
    }

    public func reviews(schoolID: String) async throws -> [IncidentReview] {
        try await database.read { db in
            try IncidentReview.filter(Column("school_id") == schoolID).order(Column("reviewed_at")).fetchAll(db)
        }
    }
}

// MARK: AuditStore

extension SQLiteStore {
    public func record(_ event: AuditEvent) async throws {
        try await database.write { db in try event.insert(db) }
    }

    public func auditEvents(schoolID: String, limit: Int, offset: Int) async throws -> [AuditEvent] {
        try await database.read { db in
            try AuditEvent.filter(Column("school_id") == schoolID).order(Column("at").desc).limit(limit, offset: offset).fetchAll(db)
        }
    }

    public func lessonsWithMedia(uploadedBefore date: Date) async throws -> [Lesson] {
        try await database.read { db in
            try Lesson.filter(Column("media_file") != nil && Column("uploaded_at") < date.timeIntervalSince1970).fetchAll(db)
        }
    }

    public func clearMedia(lessonID: String) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE lesson SET media_file = NULL WHERE id = ?", arguments: [lessonID])
        }
    }
}
