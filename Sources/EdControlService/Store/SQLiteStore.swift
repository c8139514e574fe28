import EdControlCore
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode (readers never wait for the writer),
/// shared by the server and any `edcontrol worker` processes on the same machine.
public final class SQLiteStore: EdControlStore {
    let database: DatabasePool

    /// Opens (creating and migrating if needed) the database at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        // Another process (a separate worker) may hold the write lock for a moment.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            db.add(function: DatabaseFunction("edc_fold", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map(SQLiteStore.folded)
            })
        }
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    /// Schema changes, in order; each runs once per database.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: schools, tokens, teachers, lessons, jobs") { db in
            try db.execute(sql: """
                CREATE TABLE school (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at REAL NOT NULL);
                CREATE TABLE api_token (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    name TEXT NOT NULL, role TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL, last_used_at REAL);
                CREATE TABLE teacher (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    name TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE lesson (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    teacher_id TEXT REFERENCES teacher(id) ON DELETE SET NULL,
                    title TEXT NOT NULL, original_filename TEXT NOT NULL, media_bytes INTEGER NOT NULL,
                    media_file TEXT, duration_seconds REAL NOT NULL, has_video INTEGER NOT NULL,
                    recorded_at REAL, uploaded_at REAL NOT NULL, uploaded_by TEXT NOT NULL,
                    flag TEXT, incident_count INTEGER, teacher_talk_percent REAL, speaker_count INTEGER,
                    analysed_at REAL);
                CREATE INDEX lesson_by_school ON lesson(school_id, uploaded_at);
                CREATE TABLE job (
                    id TEXT PRIMARY KEY, lesson_id TEXT NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    state TEXT NOT NULL, stage TEXT, progress REAL NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                    last_error TEXT, failure_reason TEXT,
                    created_at REAL NOT NULL, started_at REAL, finished_at REAL,
                    worker_id TEXT, lease_expires_at REAL, heartbeat_at REAL);
                CREATE INDEX job_by_state ON job(state, created_at);
                CREATE INDEX job_by_lesson ON job(lesson_id, created_at);
                """)
        }
        migrator.registerMigration("v2: webhooks and their deliveries") { db in
            try db.execute(sql: """
                CREATE TABLE webhook (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    url TEXT NOT NULL, secret TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE webhook_delivery (
                    id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL, last_status INTEGER, last_error TEXT,
                    created_at REAL NOT NULL, delivered_at REAL);
                CREATE INDEX webhook_delivery_due ON webhook_delivery(state, next_attempt_at);
                CREATE INDEX webhook_delivery_by_hook ON webhook_delivery(webhook_id, created_at);
                """)
        }
        migrator.registerMigration("v3: incident reviews") { db in
            try db.execute(sql: """
                CREATE TABLE incident_review (
                    id TEXT PRIMARY KEY, lesson_id TEXT NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL, incident_index INTEGER NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL,
                    person TEXT NOT NULL, role TEXT NOT NULL, modality TEXT NOT NULL, verdict TEXT NOT NULL, note TEXT,
                    reviewer TEXT NOT NULL, reviewed_at REAL NOT NULL,
                    UNIQUE (lesson_id, incident_index, start, "end"));
                CREATE INDEX incident_review_by_school ON incident_review(school_id, reviewed_at);
                """)
        }
        migrator.registerMigration("v4: the teacher's negative-emotion share per lesson") { db in
            try db.execute(sql: "ALTER TABLE lesson ADD COLUMN teacher_negative_share REAL")
        }
        migrator.registerMigration("v5: audit log") { db in
            try db.execute(sql: """
                CREATE TABLE audit_event (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                    target TEXT NOT NULL, detail TEXT, at REAL NOT NULL);
                CREATE INDEX audit_event_by_school ON audit_event(school_id, at);
                """)
        }
        migrator.registerMigration("v6: teachers' voice profiles") { db in
            try db.execute(sql: "ALTER TABLE teacher ADD COLUMN voice_profile TEXT")
        }
        migrator.registerMigration("v7: dashboard users and their sessions") { db in
            try db.execute(sql: """
                CREATE TABLE user (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
                    password_hash TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE dashboard_session (
                    secret_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL);
                CREATE INDEX dashboard_session_by_expiry ON dashboard_session(expires_at);
                """)
        }
        migrator.registerMigration("v8: failed sign-ins, for throttling") { db in
            try db.execute(sql: """
                CREATE TABLE sign_in_failure (key TEXT NOT NULL, at REAL NOT NULL);
                CREATE INDEX sign_in_failure_by_key ON sign_in_failure(key, at);
                """)
        }
        migrator.registerMigration("v9: job kinds (analysis, voice enrolment)") { db in
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN kind TEXT NOT NULL DEFAULT 'analysis';
                ALTER TABLE job ADD COLUMN teacher_id TEXT;
                ALTER TABLE job ADD COLUMN speaker TEXT;
                """)
        }
        migrator.registerMigration("v10: whether a lesson's recording time is known, and the lesson date's index") { db in
            try db.execute(sql: """
                ALTER TABLE lesson ADD COLUMN recorded_at_has_time INTEGER NOT NULL DEFAULT 1;
                CREATE INDEX lesson_by_date ON lesson(school_id, COALESCE(recorded_at, uploaded_at));
                """)
        }
        migrator.registerMigration("v11: the lesson a webhook delivery is about") { db in
            try db.execute(sql: """
                ALTER TABLE webhook_delivery ADD COLUMN lesson_id TEXT;
                CREATE INDEX webhook_delivery_by_lesson ON webhook_delivery(lesson_id);
                """)
        }
        migrator.registerMigration("v12: the registry of analysis configurations, champion changes, experiments") { db in
            try db.execute(sql: """
                CREATE TABLE configuration_version (
                    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, document TEXT NOT NULL,
                    registered_by TEXT NOT NULL, registered_at REAL NOT NULL, reason TEXT NOT NULL);
                CREATE TABLE champion_change (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL REFERENCES configuration_version(name),
                    previous TEXT, action TEXT NOT NULL, changed_by TEXT NOT NULL, changed_at REAL NOT NULL, reason TEXT NOT NULL);
                CREATE TABLE experiment (
                    id TEXT PRIMARY KEY, created_at REAL NOT NULL, created_by TEXT NOT NULL, metric TEXT NOT NULL,
                    corpus_hash TEXT NOT NULL, champion_hash TEXT NOT NULL, challenger_hash TEXT NOT NULL,
                    verdict TEXT NOT NULL, result TEXT NOT NULL);
                CREATE INDEX experiment_by_time ON experiment(created_at);
                """)
        }
        migrator.registerMigration("v13: each analysed lesson's features, for drift monitoring") { db in
            try db.execute(sql: """
                CREATE TABLE lesson_features (
                    lesson_id TEXT PRIMARY KEY REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    analysed_at REAL NOT NULL, features TEXT NOT NULL);
                CREATE INDEX lesson_features_by_time ON lesson_features(analysed_at);
                """)
        }
        migrator.registerMigration("v14: shadow runs of a challenger and their results") { db in
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN configuration_version TEXT;
                CREATE TABLE shadow_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL REFERENCES configuration_version(name),
                    share REAL NOT NULL, started_by TEXT NOT NULL, started_at REAL NOT NULL, stopped_at REAL);
                CREATE TABLE shadow_result (
                    lesson_id TEXT NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    challenger TEXT NOT NULL, champion TEXT NOT NULL, analysed_at REAL NOT NULL,
                    champion_flag TEXT NOT NULL, challenger_flag TEXT NOT NULL,
                    champion_incidents TEXT NOT NULL, challenger_incidents TEXT NOT NULL,
                    PRIMARY KEY (lesson_id, challenger));
                CREATE INDEX shadow_result_by_challenger ON shadow_result(challenger, analysed_at);
                """)
        }
        migrator.registerMigration("v15: reviewers' corrections of confirmed incidents") { db in
            try db.execute(sql: """
                ALTER TABLE incident_review ADD COLUMN corrected_start REAL;
                ALTER TABLE incident_review ADD COLUMN corrected_end REAL;
                ALTER TABLE incident_review ADD COLUMN corrected_person TEXT;
                ALTER TABLE incident_review ADD COLUMN corrected_modality TEXT;
                """)
        }
        migrator.registerMigration("v16: transcription per school and per upload; searchable transcripts") { db in
            // The index's rows are the transcript's segments; lesson and school are stored
            // beside the text but not indexed. unicode61 folds case and diacritics (ё as е).
            try db.execute(sql: """
                ALTER TABLE school ADD COLUMN transcription TEXT NOT NULL DEFAULT 'auto';
                ALTER TABLE lesson ADD COLUMN transcription TEXT;
                CREATE VIRTUAL TABLE transcript_line USING fts5(
                    text, lesson_id UNINDEXED, school_id UNINDEXED, start UNINDEXED, end UNINDEXED,
                    speaker UNINDEXED, role UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
                """)
        }
        migrator.registerMigration("v17: sign-in attempts counted before the password is checked") { db in
            try db.execute(sql: "ALTER TABLE sign_in_failure ADD COLUMN attempt TEXT")
        }
        migrator.registerMigration("v18: a user's email is unique within their school, not across schools") { db in
            // SQLite cannot drop a constraint: the table is rebuilt (its foreign keys are
            // checked when the migration ends).
            try db.execute(sql: """
                CREATE TABLE user_by_school (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    email TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
                    password_hash TEXT NOT NULL, created_at REAL NOT NULL, UNIQUE (school_id, email));
                INSERT INTO user_by_school SELECT id, school_id, email, name, role, password_hash, created_at FROM user;
                DROP TABLE user;
                ALTER TABLE user_by_school RENAME TO user;
                CREATE INDEX user_by_email ON user(email);
                """)
        }
        migrator.registerMigration("v19: API tokens expire") { db in
            try db.execute(sql: "ALTER TABLE api_token ADD COLUMN expires_at REAL")
        }
        migrator.registerMigration("v20: per lesson, the strongest incident's intensity (severity order) and the teacher's incidents") { db in
            try db.execute(sql: """
                ALTER TABLE lesson ADD COLUMN peak_intensity REAL;
                ALTER TABLE lesson ADD COLUMN teacher_incident_count INTEGER;
                """)
        }
        migrator.registerMigration("v21: which way of working out the list figures each lesson's were made with") { db in
            // Lessons analysed before are at version 1 and are summarised again from their reports at the next start.
            try db.execute(sql: "ALTER TABLE lesson ADD COLUMN summary_version INTEGER NOT NULL DEFAULT 1")
        }
        migrator.registerMigration("v22: LMS platforms (LTI 1.3), the tool's keys, logins under way, launched users", migrate: createLTITables)
        migrator.registerMigration("v23: teachers who sign in from the LMS and see their own lessons; links being picked for an LMS") { db in
            try db.execute(sql: """
                ALTER TABLE school ADD COLUMN teacher_view INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE user ADD COLUMN teacher_id TEXT REFERENCES teacher(id) ON DELETE SET NULL;
                ALTER TABLE teacher ADD COLUMN email TEXT;
                CREATE INDEX teacher_by_email ON teacher(school_id, email);
                CREATE TABLE lti_teacher (
                    platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, subject TEXT NOT NULL,
                    teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE, PRIMARY KEY (platform_id, subject));
                CREATE TABLE lti_deep_link_request (
                    id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE,
                    deployment_id TEXT NOT NULL, return_url TEXT NOT NULL, data TEXT, expires_at REAL NOT NULL);
                """)
        }
        migrator.registerMigration("v24: LMS courses launches came from, whose teachers can be imported") { db in
            try db.execute(sql: """
                CREATE TABLE lti_course (
                    platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, context_id TEXT NOT NULL,
                    title TEXT NOT NULL, memberships_url TEXT, seen_at REAL NOT NULL, PRIMARY KEY (platform_id, context_id));
                """)
        }
        migrator.registerMigration("v25: links with which an LMS registers itself (LTI dynamic registration)") { db in
            try db.execute(sql: """
                CREATE TABLE lti_registration_invite (
                    secret_hash TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE, expires_at REAL NOT NULL);
                """)
        }
        migrator.registerMigration("v26: a school's own table of LMS roles to EdControl roles") { db in
            try db.execute(sql: "ALTER TABLE school ADD COLUMN lti_roles TEXT")
        }
        return migrator
    }


    // MARK: AccessStore

    public func school(named name: String, createIfMissing: Bool) async throws -> School? {
        try await database.write { db in
            if let school = try School.filter(Column("name") == name).fetchOne(db) { return school }
            guard createIfMissing else { return nil }
            let school = School(id: newIdentifier(), name: name, createdAt: Date(), transcription: .automatic)
            try school.insert(db)
            return school
        }
    }

    public func school(id: String) async throws -> School? {
        try await database.read { db in try School.fetchOne(db, key: id) }
    }

    public func createToken(schoolID: String, name: String, role: Role, expiresAt: Date?) async throws -> (secret: String, token: APIToken) {
        let secret = "edc_" + randomHex(bytes: 32)
        let token = APIToken(id: newIdentifier(), schoolID: schoolID, name: name, role: role,
                             secretHash: SHA256Digest.of(Data(secret.utf8)), createdAt: Date(), lastUsedAt: nil, expiresAt: expiresAt)
        try await database.write { db in try token.insert(db) }
        return (secret, token)
    }

    public func principal(forToken secret: String) async throws -> Principal? {
        let hash = SHA256Digest.of(Data(secret.utf8))
        let now = Date()
        guard let token = try await database.read({ db in try APIToken.filter(Column("secret_hash") == hash).fetchOne(db) }),
              !token.isExpired(at: now) else {
            return nil
        }
        if (token.lastUsedAt.map { now.timeIntervalSince($0) >= 60 } ?? true) {
            try await database.write { db in
                try db.execute(sql: "UPDATE api_token SET last_used_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, token.id])
            }
        }
        return Principal(tokenID: token.id, tokenName: token.name, schoolID: token.schoolID, role: token.role)
    }

    public func tokens(schoolID: String) async throws -> [APIToken] {
        try await database.read { db in
            try APIToken.filter(Column("school_id") == schoolID).order(Column("created_at").desc, Column("id")).fetchAll(db)
        }
    }

    public func revokeToken(id: String, schoolID: String) async throws -> APIToken? {
        try await database.write { db in
            guard let token = try APIToken.filter(Column("id") == id && Column("school_id") == schoolID).fetchOne(db) else { return nil }
            try token.delete(db)
            return token
        }
    }

    public func createUser(schoolID: String, email: String, name: String, role: Role, passwordHash: String) async throws -> User {
        let user = User(id: newIdentifier(), schoolID: schoolID, email: email.lowercased(), name: name, role: role,
                        passwordHash: passwordHash, createdAt: Date())
        try await database.write { db in
            guard try User.filter(Column("email") == user.email && Column("school_id") == schoolID).fetchCount(db) == 0 else {
                throw StoreConflict(message: "there is already a user with the email \(user.email) in this school")
            }
            try user.insert(db)
        }
        return user
    }

    public func users(email: String) async throws -> [User] {
        try await database.read { db in
            try User.filter(Column("email") == email.lowercased()).order(Column("created_at"), Column("id")).fetchAll(db)
        }
    }

    public func users(schoolID: String) async throws -> [User] {
        try await database.read { db in try User.filter(Column("school_id") == schoolID).order(Column("email")).fetchAll(db) }
    }

    public func setRole(userID: String, schoolID: String, role: Role) async throws -> Bool {
        try await database.write { db in
            guard let user = try User.filter(Column("id") == userID && Column("school_id") == schoolID).fetchOne(db) else { return false }
            if user.role == .admin, role != .admin { try Self.keepAnAdmin(schoolID: schoolID, db) }
            try db.execute(sql: "UPDATE user SET role = ? WHERE id = ?", arguments: [role.rawValue, userID])
            try DashboardSession.filter(Column("user_id") == userID).deleteAll(db)
            return true
        }
    }

    public func deleteUser(id: String, schoolID: String) async throws -> User? {
        try await database.write { db in
            guard let user = try User.filter(Column("id") == id && Column("school_id") == schoolID).fetchOne(db) else { return nil }
            if user.role == .admin { try Self.keepAnAdmin(schoolID: schoolID, db) }
            try user.delete(db)  // sessions go with it (ON DELETE CASCADE)
            return user
        }
    }

    /// Refuses a change that would leave the school with no admin to manage it.
    private static func keepAnAdmin(schoolID: String, _ db: Database) throws {
        guard try User.filter(Column("school_id") == schoolID && Column("role") == Role.admin.rawValue).fetchCount(db) > 1 else {
            throw StoreConflict(message: "this is the school's only admin; make someone else admin first")
        }
    }

    public func setPasswordHash(userID: String, passwordHash: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE user SET password_hash = ? WHERE id = ?", arguments: [passwordHash, userID])
            guard db.changesCount > 0 else { return false }
            try DashboardSession.filter(Column("user_id") == userID).deleteAll(db)
            return true
        }
    }

    public func createSession(userID: String, lifetimeSeconds: Double) async throws -> (secret: String, session: DashboardSession) {
        let secret = randomHex(bytes: 32)
        let now = Date()
        let session = DashboardSession(secretHash: SHA256Digest.of(Data(secret.utf8)), userID: userID, csrfToken: randomHex(bytes: 24),
                                       createdAt: now, expiresAt: now.addingTimeInterval(lifetimeSeconds))
        try await database.write { db in
            // Expired sessions go whenever a new one starts, so the table stays small.
            try DashboardSession.filter(Column("expires_at") < now.timeIntervalSince1970).deleteAll(db)
            try session.insert(db)
        }
        return (secret, session)
    }

    public func principal(forSession secret: String) async throws -> (principal: Principal, csrfToken: String)? {
        let hash = SHA256Digest.of(Data(secret.utf8))
        return try await database.read { db in
            guard let session = try DashboardSession.filter(Column("secret_hash") == hash).fetchOne(db), session.expiresAt > Date(),
                  let user = try User.fetchOne(db, key: session.userID) else { return nil }
            // A school that switched its teacher view off has signed its teachers out.
            if user.role == .teacher, try School.fetchOne(db, key: user.schoolID)?.teacherView != true { return nil }
            return (Principal(tokenID: user.id, tokenName: user.email, schoolID: user.schoolID, role: user.role, teacherID: user.teacherID),
                    session.csrfToken)
        }
    }

    public func deleteSession(secret: String) async throws {
        let hash = SHA256Digest.of(Data(secret.utf8))
        _ = try await database.write { db in try DashboardSession.filter(Column("secret_hash") == hash).deleteAll(db) }
    }

    public func countSignInAttempt(_ limits: [SignInLimit], at date: Date, window: TimeInterval) async throws -> SignInAttemptCount {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM sign_in_failure WHERE at < ?", arguments: [date.timeIntervalSince1970 - window])
            var refusedUntil: Date?
            for limit in limits {
                let times = try Double.fetchAll(db, sql: "SELECT at FROM sign_in_failure WHERE key = ? ORDER BY at", arguments: [limit.key])
                guard times.count >= limit.attempts else { continue }
                // Allowed again once enough of these attempts have left the window.
                let frees = Date(timeIntervalSince1970: times[times.count - limit.attempts] + window)
                refusedUntil = max(refusedUntil ?? frees, frees)
            }
            if let refusedUntil { return .refused(until: refusedUntil) }
            let attempt = UUID().uuidString
            for limit in limits {
                try db.execute(sql: "INSERT INTO sign_in_failure (key, at, attempt) VALUES (?, ?, ?)",
                               arguments: [limit.key, date.timeIntervalSince1970, attempt])
            }
            return .counted(attempt)
        }
    }

    public func forgetSignInAttempt(_ attempt: String, clearing key: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM sign_in_failure WHERE attempt = ? OR key = ?", arguments: [attempt, key])
        }
    }

    public func clearSignInFailures(key: String) async throws {
        try await database.write { db in try db.execute(sql: "DELETE FROM sign_in_failure WHERE key = ?", arguments: [key]) }
    }

    /// A random secret as hex, from the system's cryptographic generator.
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
        try await database.write { db in
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

    /// A lesson's date: when it was recorded, or else uploaded.
    static let lessonDate = "COALESCE(lesson.recorded_at, lesson.uploaded_at)"

    /// Text as searches compare it: lower case in any alphabet (SQLite's own lower() knows
    /// only ASCII), without diacritics, ё as е.
    static func folded(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
            .replacingOccurrences(of: "ё", with: "е").trimmingCharacters(in: .whitespacesAndNewlines)
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
            if let from = query.from { conditions.append("\(Self.lessonDate) >= ?"); arguments.append(from.timeIntervalSince1970) }
            if let before = query.before { conditions.append("\(Self.lessonDate) < ?"); arguments.append(before.timeIntervalSince1970) }
            if let search = query.search.map(Self.folded), !search.isEmpty {
                conditions.append("(edc_fold(lesson.title) LIKE ? ESCAPE '\\' OR edc_fold(teacher.name) LIKE ? ESCAPE '\\')")
                let pattern = "%" + search.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                arguments += [pattern, pattern]
            }
            let filtered = "\(Self.lessonWithLatestJob) LEFT JOIN teacher ON teacher.id = lesson.teacher_id WHERE \(conditions.joined(separator: " AND "))"
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(filtered))", arguments: StatementArguments(arguments)) ?? 0
            let order = switch query.order {
            case .newest: "\(Self.lessonDate) DESC"
            case .oldest: "\(Self.lessonDate) ASC"
            case .title: "edc_fold(lesson.title) ASC"
            case .incidents: "lesson.incident_count IS NULL, lesson.incident_count DESC, \(Self.lessonDate) DESC"
            case .severity: """
                CASE lesson.flag WHEN 'alert' THEN 0 WHEN 'review' THEN 1 WHEN 'inconclusive' THEN 2 WHEN 'ok' THEN 3 ELSE 4 END,
                lesson.peak_intensity IS NULL, lesson.peak_intensity DESC, lesson.incident_count DESC, \(Self.lessonDate) DESC
                """
            }
            let rows = try Row.fetchAll(db, sql: "\(filtered) ORDER BY \(order), lesson.id LIMIT ? OFFSET ?",
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

    public func lessonIDs() async throws -> Set<String> {
        try await database.read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM lesson")) }
    }

    // MARK: JobQueue

    private static let active = [Job.State.queued.rawValue, Job.State.running.rawValue].contains(Column("state"))
    /// Shadow runs are the operator's: schools never see their jobs, and they hold up nothing of the school's.
    private static let schoolsJob = Column("kind") != Job.Kind.shadow.rawValue

    public func enqueue(lessonID: String, schoolID: String, maxAttempts: Int) async throws -> Job {
        try await database.write { db in
            guard try Job.filter(Column("lesson_id") == lessonID && Self.schoolsJob && Self.active).fetchCount(db) == 0 else {
                throw StoreConflict(message: "this lesson is already queued or being analysed, or a voice is being enrolled from it; cancel that job first or wait for it",
                                    key: "refusal_lesson_busy")
            }
            return try Self.insertJob(lessonID: lessonID, schoolID: schoolID, maxAttempts: maxAttempts, db)
        }
    }

    public func enqueueVoiceEnrolment(teacherID: String, lessonID: String, speaker: String, schoolID: String, maxAttempts: Int) async throws -> Job {
        try await database.write { db in
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
            let now = Date()
            // Running jobs whose worker stopped renewing the lease, and have no attempts left, fail.
            try db.execute(sql: """
                UPDATE job SET state = 'failed', finished_at = ?, worker_id = NULL, lease_expires_at = NULL,
                    failure_reason = 'worker_lost',
                    last_error = 'the analysis stopped ' || attempts || ' times before finishing (the worker was shut down or ran out of memory); re-analyse to try again'
                WHERE state = 'running' AND lease_expires_at < ? AND attempts >= max_attempts
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970])
            guard var job = try Job.filter(sql: "state = 'queued' OR (state = 'running' AND lease_expires_at < ?)",
                                           arguments: [now.timeIntervalSince1970])
                // Schools' work first: a shadow analysis waits until no lesson of theirs does.
                .order(Self.schoolsJob.desc, Column("created_at")).fetchOne(db) else { return nil }
            job.state = .running
            job.attempts += 1
            job.workerID = workerID
            job.startedAt = now
            job.heartbeatAt = now
            job.leaseExpiresAt = now.addingTimeInterval(leaseSeconds)
            job.stage = AnalysisStage.probing.rawValue
            job.progress = 0
            try job.update(db)
            return job
        }
    }

    public func heartbeat(jobID: String, workerID: String, stage: String, progress: Double, leaseSeconds: Double) async throws -> Bool {
        try await database.write { db in
            let now = Date()
            try db.execute(sql: """
                UPDATE job SET stage = ?, progress = ?, heartbeat_at = ?, lease_expires_at = ?
                WHERE id = ? AND worker_id = ? AND state = 'running'
                """, arguments: [stage, progress, now.timeIntervalSince1970, now.addingTimeInterval(leaseSeconds).timeIntervalSince1970,
                                 jobID, workerID])
            return db.changesCount == 1
        }
    }

    public func succeed(jobID: String, workerID: String, summary: AnalysisSummary) async throws -> Bool {
        try await database.write { db in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: """
                UPDATE job SET state = 'succeeded', progress = 1, stage = NULL, finished_at = ?, worker_id = NULL, lease_expires_at = NULL,
                    last_error = NULL, failure_reason = NULL
                WHERE id = ? AND worker_id = ? AND state = 'running'
                """, arguments: [now, jobID, workerID])
            guard db.changesCount == 1 else { return false }
            let lessonID = try String.fetchOne(db, sql: "SELECT lesson_id FROM job WHERE id = ?", arguments: [jobID])
            try Self.record(summary, lessonID: lessonID ?? "", analysedAt: now, in: db)
            return true
        }
    }

    public func lessonsWithOutdatedSummaries() async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM lesson WHERE analysed_at IS NOT NULL AND summary_version < ? ORDER BY id",
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

    public func succeedVoiceEnrolment(jobID: String, workerID: String, profile: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE job SET state = 'succeeded', progress = 1, stage = NULL, finished_at = ?, worker_id = NULL, lease_expires_at = NULL,
                    last_error = NULL, failure_reason = NULL
                WHERE id = ? AND worker_id = ? AND state = 'running' AND kind = 'voice_enrolment'
                """, arguments: [Date().timeIntervalSince1970, jobID, workerID])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "UPDATE teacher SET voice_profile = ? WHERE id = (SELECT teacher_id FROM job WHERE id = ?)", arguments: [profile, jobID])
            return true
        }
    }

    public func fail(jobID: String, workerID: String, reason: String, message: String) async throws {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE job SET state = 'failed', stage = NULL, finished_at = ?, worker_id = NULL, lease_expires_at = NULL,
                    last_error = ?, failure_reason = ?
                WHERE id = ? AND worker_id = ? AND state = 'running'
                """, arguments: [Date().timeIntervalSince1970, message, reason, jobID, workerID])
        }
    }

    public func release(jobID: String, workerID: String) async throws {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE job SET state = 'queued', stage = NULL, progress = 0, attempts = MAX(0, attempts - 1), worker_id = NULL,
                    lease_expires_at = NULL
                WHERE id = ? AND worker_id = ? AND state = 'running'
                """, arguments: [jobID, workerID])
        }
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
            let now = Date()
            let due = try WebhookDelivery.filter(Column("state") == WebhookDelivery.State.pending.rawValue
                                                 && Column("next_attempt_at") <= now.timeIntervalSince1970)
                .order(Column("next_attempt_at")).limit(limit).fetchAll(db)
            return try due.compactMap { delivery in
                var locked = delivery
                locked.nextAttemptAt = now.addingTimeInterval(lockSeconds)
                try locked.update(db)
                return try Webhook.fetchOne(db, key: delivery.webhookID).map { (delivery, $0) }
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

// Rows map to the records by snake_case column names (`school_id` is `schoolID`); times
// are stored as Unix seconds (REAL), which compare and index simply in SQLite and
// PostgreSQL alike.
protocol StoredRecord: Codable, FetchableRecord, PersistableRecord {}

extension StoredRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .custom { column in AnyCodingKey(ColumnNames.property(column)) }
    }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
        .custom { key in ColumnNames.column(key.stringValue) }
    }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
}

/// Swift property names ↔ SQL column names. GRDB's built-in snake case turns `schoolID`
/// into `school_i_d`; here a run of capitals is one word, and `id` comes back as `ID`.
enum ColumnNames {
    static func column(_ property: String) -> String {
        var words: [String] = []
        var current = ""
        for character in property {
            if character.isUppercase, !(current.last?.isUppercase ?? true) {
                words.append(current)
                current = ""
            }
            current.append(character)
        }
        words.append(current)
        return words.map { $0.lowercased() }.joined(separator: "_")
    }

    static func property(_ column: String) -> String {
        let words = column.split(separator: "_").map(String.init)
        return (words.first ?? "") + words.dropFirst().map { acronyms[$0] ?? $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Words written in capitals in property names (`deploymentIDs` is `deployment_ids`).
    private static let acronyms = ["id": "ID", "ids": "IDs", "url": "URL", "uri": "URI", "pem": "PEM"]
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension School: StoredRecord { public static let databaseTableName = "school" }
extension APIToken: StoredRecord { public static let databaseTableName = "api_token" }
extension User: StoredRecord { public static let databaseTableName = "user" }
extension DashboardSession: StoredRecord { public static let databaseTableName = "dashboard_session" }
extension Teacher: StoredRecord { public static let databaseTableName = "teacher" }
extension Lesson: StoredRecord { public static let databaseTableName = "lesson" }
extension Job: StoredRecord { public static let databaseTableName = "job" }
extension Webhook: StoredRecord { public static let databaseTableName = "webhook" }
extension AuditEvent: StoredRecord { public static let databaseTableName = "audit_event" }
extension IncidentReview: StoredRecord { public static let databaseTableName = "incident_review" }
extension WebhookDelivery: StoredRecord { public static let databaseTableName = "webhook_delivery" }
extension ConfigurationVersion: StoredRecord { public static let databaseTableName = "configuration_version" }
extension ChampionChange: StoredRecord { public static let databaseTableName = "champion_change" }
extension ExperimentRecord: StoredRecord { public static let databaseTableName = "experiment" }
