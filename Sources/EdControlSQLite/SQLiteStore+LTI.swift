import EdControlEngine
import EdControlLTI
import EdControlStorage
import Foundation
import GRDB

extension LTIPlatform: StoredRecord { public static let databaseTableName = "lti_platform" }

private struct StoredToolKey: StoredRecord {
    static let databaseTableName = "lti_tool_key"
    var id: String
    var privateKeyPEM: String
    var createdAt: Date
    var retiredAt: Date?
}

/// A login under way, keyed by its state's SHA-256 (the state itself is the browser's secret).
private struct StoredLogin: StoredRecord {
    static let databaseTableName = "lti_login"
    var stateHash: String
    var nonce: String
    var platformID: String
    var targetLinkURI: String
    var expiresAt: Date
}

extension LTICourse: StoredRecord { public static let databaseTableName = "lti_course" }
extension LTIDeepLinkRequest: StoredRecord { public static let databaseTableName = "lti_deep_link_request" }

extension SQLiteStore {
    static func createLTITables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE lti_platform (
                id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                issuer TEXT NOT NULL, client_id TEXT NOT NULL, deployment_ids TEXT NOT NULL,
                authorization_url TEXT NOT NULL, token_url TEXT NOT NULL, keys_url TEXT NOT NULL,
                frame_origins TEXT NOT NULL, created_at REAL NOT NULL, UNIQUE (issuer, client_id));
            CREATE INDEX lti_platform_by_school ON lti_platform(school_id);
            CREATE TABLE lti_tool_key (
                id TEXT PRIMARY KEY, private_key_pem TEXT NOT NULL, created_at REAL NOT NULL, retired_at REAL);
            CREATE TABLE lti_login (
                state_hash TEXT PRIMARY KEY, nonce TEXT NOT NULL,
                platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE,
                target_link_uri TEXT NOT NULL, expires_at REAL NOT NULL);
            CREATE TABLE lti_nonce (
                issuer TEXT NOT NULL, nonce TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (issuer, nonce));
            CREATE TABLE lti_user (
                platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, subject TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE, PRIMARY KEY (platform_id, subject));
            CREATE INDEX lti_user_by_user ON lti_user(user_id);
            """)
    }

    public func addPlatform(_ platform: LTIPlatform) async throws -> LTIPlatform {
        try await database.write { db in
            guard try LTIPlatform.filter(Column("issuer") == platform.issuer && Column("client_id") == platform.clientID).fetchCount(db) == 0 else {
                throw StoreConflict(message: "the platform \(platform.issuer) with client id \(platform.clientID) is registered already")
            }
            try platform.insert(db)
            return platform
        }
    }

    public func platforms(schoolID: String) async throws -> [LTIPlatform] {
        try await database.read { db in
            try LTIPlatform.filter(Column("school_id") == schoolID).order(Column("created_at")).fetchAll(db)
        }
    }

    public func allPlatforms() async throws -> [LTIPlatform] {
        try await database.read { db in try LTIPlatform.order(Column("created_at")).fetchAll(db) }
    }

    public func platform(id: String) async throws -> LTIPlatform? {
        try await database.read { db in try LTIPlatform.fetchOne(db, key: id) }
    }

    public func deletePlatform(id: String, schoolID: String) async throws -> LTIPlatform? {
        try await database.write { db in
            guard let platform = try LTIPlatform.filter(Column("id") == id && Column("school_id") == schoolID).fetchOne(db) else { return nil }
            try platform.delete(db)
            return platform
        }
    }

    public func toolKeys() async throws -> [ToolKey] {
        try await database.read { db in
            try StoredToolKey.order(Column("created_at").desc).fetchAll(db).map { try ToolKey(privateKeyPEM: $0.privateKeyPEM, created: $0.createdAt) }
        }
    }

    public func addToolKey(_ key: ToolKey, keepRetired: TimeInterval) async throws {
        let now = Date()
        try await database.write { db in
            try db.execute(sql: "DELETE FROM lti_tool_key WHERE retired_at < ?", arguments: [now.addingTimeInterval(-keepRetired).timeIntervalSince1970])
            try db.execute(sql: "UPDATE lti_tool_key SET retired_at = ? WHERE retired_at IS NULL", arguments: [now.timeIntervalSince1970])
            try StoredToolKey(id: key.id, privateKeyPEM: key.privateKeyPEM, createdAt: key.created, retiredAt: nil).insert(db)
        }
    }

    public func saveLoginState(_ login: LTILoginState) async throws {
        let now = Date()
        try await database.write { db in
            // Logins never finished go whenever a new one starts, so the table stays small.
            try StoredLogin.filter(Column("expires_at") < now.timeIntervalSince1970).deleteAll(db)
            try StoredLogin(stateHash: SHA256Digest.of(Data(login.state.utf8)), nonce: login.nonce, platformID: login.platformID,
                            targetLinkURI: login.targetLinkURI, expiresAt: login.expiresAt).insert(db)
        }
    }

    public func takeLoginState(_ state: String) async throws -> LTILoginState? {
        let hash = SHA256Digest.of(Data(state.utf8))
        return try await database.write { db in
            guard let stored = try StoredLogin.fetchOne(db, key: hash) else { return nil }
            try stored.delete(db)
            guard stored.expiresAt > Date() else { return nil }
            return LTILoginState(state: state, nonce: stored.nonce, platformID: stored.platformID, targetLinkURI: stored.targetLinkURI,
                                 expiresAt: stored.expiresAt)
        }
    }

    public func recordNonce(_ nonce: String, issuer: String, expiry: Date) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM lti_nonce WHERE expires_at < ?", arguments: [Date().timeIntervalSince1970])
            try db.execute(sql: "INSERT OR IGNORE INTO lti_nonce (issuer, nonce, expires_at) VALUES (?, ?, ?)",
                           arguments: [issuer, nonce, expiry.timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func linkedUser(platformID: String, subject: String) async throws -> User? {
        try await database.read { db in
            try User.fetchOne(db, sql: "SELECT user.* FROM user JOIN lti_user ON lti_user.user_id = user.id WHERE platform_id = ? AND subject = ?",
                              arguments: [platformID, subject])
        }
    }

    public func teacher(platformID: String, subject: String, schoolID: String, name: String, email: String?) async throws -> (teacher: Teacher, created: Bool) {
        try await database.write { db in
            if let linked = try Teacher.fetchOne(db, sql: """
                SELECT teacher.* FROM teacher JOIN lti_teacher ON lti_teacher.teacher_id = teacher.id
                WHERE platform_id = ? AND subject = ? AND teacher.school_id = ?
                """, arguments: [platformID, subject, schoolID]) {
                return (linked, false)
            }
            var created = false
            var teacher: Teacher
            if let email, let known = try Teacher.filter(Column("school_id") == schoolID && Column("email") == email).order(Column("created_at")).fetchOne(db) {
                teacher = known
            } else {
                teacher = Teacher(id: newIdentifier(), schoolID: schoolID, name: name, createdAt: Date(), voiceProfile: nil, email: email)
                try teacher.insert(db)
                created = true
            }
            try db.execute(sql: "INSERT OR REPLACE INTO lti_teacher (platform_id, subject, teacher_id) VALUES (?, ?, ?)",
                           arguments: [platformID, subject, teacher.id])
            return (teacher, created)
        }
    }

    public func setTeacher(userID: String, teacherID: String?) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE user SET teacher_id = ? WHERE id = ?", arguments: [teacherID, userID])
        }
    }

    public func setTeacherView(_ enabled: Bool, schoolID: String) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE school SET teacher_view = ? WHERE id = ?", arguments: [enabled, schoolID])
        }
    }

    public func createRegistrationInvite(schoolID: String, expiresAt: Date) async throws -> String {
        let secret = randomHex(bytes: 24)
        try await database.write { db in
            try db.execute(sql: "DELETE FROM lti_registration_invite WHERE expires_at < ?", arguments: [Date().timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO lti_registration_invite (secret_hash, school_id, expires_at) VALUES (?, ?, ?)",
                           arguments: [SHA256Digest.of(Data(secret.utf8)), schoolID, expiresAt.timeIntervalSince1970])
        }
        return secret
    }

    public func registrationInvite(_ secret: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT school_id FROM lti_registration_invite WHERE secret_hash = ? AND expires_at > ?",
                                arguments: [SHA256Digest.of(Data(secret.utf8)), Date().timeIntervalSince1970])
        }
    }

    public func useRegistrationInvite(_ secret: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM lti_registration_invite WHERE secret_hash = ? AND expires_at > ?",
                           arguments: [SHA256Digest.of(Data(secret.utf8)), Date().timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    public func recordCourse(_ course: LTICourse) async throws {
        try await database.write { db in try course.save(db) }
    }

    public func courses(schoolID: String) async throws -> [LTICourse] {
        try await database.read { db in
            try LTICourse.fetchAll(db, sql: """
                SELECT lti_course.* FROM lti_course JOIN lti_platform ON lti_platform.id = lti_course.platform_id
                WHERE lti_platform.school_id = ? ORDER BY seen_at DESC
                """, arguments: [schoolID])
        }
    }

    public func saveDeepLinkRequest(_ request: LTIDeepLinkRequest) async throws {
        let now = Date()
        try await database.write { db in
            try LTIDeepLinkRequest.filter(Column("expires_at") < now.timeIntervalSince1970).deleteAll(db)
            try request.insert(db)
        }
    }

    public func deepLinkRequest(id: String, userID: String) async throws -> LTIDeepLinkRequest? {
        try await database.read { db in
            try LTIDeepLinkRequest.filter(Column("id") == id && Column("user_id") == userID && Column("expires_at") > Date().timeIntervalSince1970).fetchOne(db)
        }
    }

    public func deleteDeepLinkRequest(id: String) async throws -> Bool {
        try await database.write { db in try LTIDeepLinkRequest.deleteOne(db, key: id) }
    }

    public func setLTIRoleMap(_ map: LTIRoleMap?, schoolID: String) async throws {
        let json = try map.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await database.write { db in
            try db.execute(sql: "UPDATE school SET lti_roles = ? WHERE id = ?", arguments: [json, schoolID])
        }
    }

    public func linkUser(platformID: String, subject: String, userID: String) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO lti_user (platform_id, subject, user_id) VALUES (?, ?, ?)", arguments: [platformID, subject, userID])
        }
    }
}
