import EdControlEngine
import EdControlLTI
import EdControlStorage
import Foundation
import PostgresKit

private struct StoredToolKey: Codable, Sendable {
    var id: String
    var privateKeyPEM: String
    var createdAt: Date
    var retiredAt: Date?
}

/// A login under way, keyed by its state's SHA-256 (the state itself is the browser's secret).
private struct StoredLogin: Codable, Sendable {
    var stateHash: String
    var nonce: String
    var platformID: String
    var targetLinkURI: String
    var expiresAt: Date
}

// MARK: LTIStore

extension PostgresStore {
    public func addPlatform(_ platform: LTIPlatform) async throws -> LTIPlatform {
        // UNIQUE (issuer, client_id) is the rule: of two schools registering one platform at once, one is refused.
        try await onDuplicate {
            try await reading { db in try await db.insert(platform, into: "lti_platform") }
            return platform
        } then: { _ in
            throw StoreConflict(message: "the platform \(platform.issuer) with client id \(platform.clientID) is registered already")
        }
    }

    public func platforms(schoolID: String) async throws -> [LTIPlatform] {
        try await reading { db in try await db.records("SELECT * FROM lti_platform WHERE school_id = \(bind: schoolID) ORDER BY created_at") }
    }

    public func allPlatforms() async throws -> [LTIPlatform] {
        try await reading { db in try await db.records("SELECT * FROM lti_platform ORDER BY created_at") }
    }

    public func platform(id: String) async throws -> LTIPlatform? {
        try await reading { db in try await db.record("SELECT * FROM lti_platform WHERE id = \(bind: id)") }
    }

    public func deletePlatform(id: String, schoolID: String) async throws -> LTIPlatform? {
        // Its logins, links, courses and deep-link requests go with it (ON DELETE CASCADE).
        try await reading { db in
            try await db.record("DELETE FROM lti_platform WHERE id = \(bind: id) AND school_id = \(bind: schoolID) RETURNING *")
        }
    }

    public func toolKeys() async throws -> [ToolKey] {
        try await reading { db in
            try await db.records("SELECT * FROM lti_tool_key ORDER BY created_at DESC", as: StoredToolKey.self)
        }.map { try ToolKey(privateKeyPEM: $0.privateKeyPEM, created: $0.createdAt) }
    }

    public func addToolKey(_ key: ToolKey, keepRetired: TimeInterval) async throws {
        let now = Date()
        try await transaction { db in
            // Rotations one at a time (readers are not held up): each retires every key before
            // it, one another node has just added too.
            try await db.execute("LOCK TABLE lti_tool_key IN SHARE ROW EXCLUSIVE MODE")
            try await db.execute("DELETE FROM lti_tool_key WHERE retired_at < \(bind: now.addingTimeInterval(-keepRetired))")
            try await db.execute("UPDATE lti_tool_key SET retired_at = \(bind: now) WHERE retired_at IS NULL")
            try await db.insert(StoredToolKey(id: key.id, privateKeyPEM: key.privateKeyPEM, createdAt: key.created, retiredAt: nil), into: "lti_tool_key")
        }
    }

    public func saveLoginState(_ login: LTILoginState) async throws {
        let now = Date()
        let stored = StoredLogin(stateHash: SHA256Digest.of(Data(login.state.utf8)), nonce: login.nonce, platformID: login.platformID,
                                 targetLinkURI: login.targetLinkURI, expiresAt: login.expiresAt)
        try await transaction { db in
            // Logins never finished go whenever a new one starts, so the table stays small.
            try await db.execute("DELETE FROM lti_login WHERE expires_at < \(bind: now)")
            try await db.insert(stored, into: "lti_login")
        }
    }

    public func takeLoginState(_ state: String) async throws -> LTILoginState? {
        let hash = SHA256Digest.of(Data(state.utf8))
        // One statement takes it: of racing launches with one state, one gets the row.
        guard let stored = try await reading({ db in
            try await db.record("DELETE FROM lti_login WHERE state_hash = \(bind: hash) RETURNING *", as: StoredLogin.self)
        }), stored.expiresAt > Date() else { return nil }
        return LTILoginState(state: state, nonce: stored.nonce, platformID: stored.platformID, targetLinkURI: stored.targetLinkURI,
                             expiresAt: stored.expiresAt)
    }

    public func recordNonce(_ nonce: String, issuer: String, expiry: Date) async throws -> Bool {
        let now = Date()
        return try await transaction { db in
            try await db.execute("DELETE FROM lti_nonce WHERE expires_at < \(bind: now)")
            // The primary key is the rule: of racing launches with one nonce, one inserts and the others wait for it and insert nothing.
            return try await db.changed("""
                INSERT INTO lti_nonce (issuer, nonce, expires_at) VALUES (\(bind: issuer), \(bind: nonce), \(bind: expiry))
                ON CONFLICT (issuer, nonce) DO NOTHING RETURNING nonce
                """) == 1
        }
    }

    public func linkedUser(platformID: String, subject: String) async throws -> User? {
        try await reading { db in
            try await db.record(#"""
                SELECT "user".* FROM "user" JOIN lti_user ON lti_user.user_id = "user".id
                WHERE lti_user.platform_id = \#(bind: platformID) AND lti_user.subject = \#(bind: subject)
                """#)
        }
    }

    public func teacher(platformID: String, subject: String, schoolID: String, name: String, email: String?) async throws -> (teacher: Teacher, created: Bool) {
        try await transaction { db in
            // A school's launches find or make their teachers one at a time (a lock per school,
            // for this transaction): two first launches of one person, or of two with one
            // email, must not make two teachers.
            try await db.execute("SELECT pg_advisory_xact_lock(hashtextextended(\(bind: "lti-teacher:" + schoolID), 0))")
            if let linked = try await db.record("""
                SELECT teacher.* FROM teacher JOIN lti_teacher ON lti_teacher.teacher_id = teacher.id
                WHERE lti_teacher.platform_id = \(bind: platformID) AND lti_teacher.subject = \(bind: subject) AND teacher.school_id = \(bind: schoolID)
                """, as: Teacher.self) {
                return (linked, false)
            }
            let teacher: Teacher, created: Bool
            if let email, let known = try await db.record("""
                SELECT * FROM teacher WHERE school_id = \(bind: schoolID) AND email = \(bind: email) ORDER BY created_at LIMIT 1
                """, as: Teacher.self) {
                teacher = known
                created = false
            } else {
                teacher = Teacher(id: newIdentifier(), schoolID: schoolID, name: name, createdAt: Date(), voiceProfile: nil, email: email)
                try await db.insert(teacher, into: "teacher")
                created = true
            }
            try await db.execute("""
                INSERT INTO lti_teacher (platform_id, subject, teacher_id) VALUES (\(bind: platformID), \(bind: subject), \(bind: teacher.id))
                ON CONFLICT (platform_id, subject) DO UPDATE SET teacher_id = EXCLUDED.teacher_id
                """)
            return (teacher, created)
        }
    }

    public func setTeacher(userID: String, teacherID: String?) async throws {
        try await reading { db in try await db.execute(#"UPDATE "user" SET teacher_id = \#(bind: teacherID) WHERE id = \#(bind: userID)"#) }
    }

    public func setTeacherView(_ enabled: Bool, schoolID: String) async throws {
        try await reading { db in try await db.execute("UPDATE school SET teacher_view = \(bind: enabled) WHERE id = \(bind: schoolID)") }
    }

    public func createRegistrationInvite(schoolID: String, expiresAt: Date) async throws -> String {
        let secret = randomHex(bytes: 24)
        let now = Date()
        try await transaction { db in
            try await db.execute("DELETE FROM lti_registration_invite WHERE expires_at < \(bind: now)")
            try await db.execute("""
                INSERT INTO lti_registration_invite (secret_hash, school_id, expires_at)
                VALUES (\(bind: SHA256Digest.of(Data(secret.utf8))), \(bind: schoolID), \(bind: expiresAt))
                """)
        }
        return secret
    }

    public func registrationInvite(_ secret: String) async throws -> String? {
        try await reading { db in
            try await db.value("""
                SELECT school_id FROM lti_registration_invite WHERE secret_hash = \(bind: SHA256Digest.of(Data(secret.utf8))) AND expires_at > \(bind: Date())
                """, as: String.self)
        }
    }

    public func useRegistrationInvite(_ secret: String) async throws -> Bool {
        // One statement uses it up: of racing registrations with one invite, one deletes the row.
        try await reading { db in
            try await db.changed("""
                DELETE FROM lti_registration_invite WHERE secret_hash = \(bind: SHA256Digest.of(Data(secret.utf8))) AND expires_at > \(bind: Date())
                RETURNING secret_hash
                """) == 1
        }
    }

    public func recordCourse(_ course: LTICourse) async throws {
        try await reading { db in
            try await db.execute("""
                INSERT INTO lti_course (platform_id, context_id, title, memberships_url, seen_at)
                VALUES (\(bind: course.platformID), \(bind: course.contextID), \(bind: course.title), \(bind: course.membershipsURL), \(bind: course.seenAt))
                ON CONFLICT (platform_id, context_id) DO UPDATE
                SET title = EXCLUDED.title, memberships_url = EXCLUDED.memberships_url, seen_at = EXCLUDED.seen_at
                """)
        }
    }

    public func courses(schoolID: String) async throws -> [LTICourse] {
        try await reading { db in
            try await db.records("""
                SELECT lti_course.* FROM lti_course JOIN lti_platform ON lti_platform.id = lti_course.platform_id
                WHERE lti_platform.school_id = \(bind: schoolID) ORDER BY seen_at DESC
                """)
        }
    }

    public func saveDeepLinkRequest(_ request: LTIDeepLinkRequest) async throws {
        let now = Date()
        try await transaction { db in
            try await db.execute("DELETE FROM lti_deep_link_request WHERE expires_at < \(bind: now)")
            try await db.insert(request, into: "lti_deep_link_request")
        }
    }

    public func deepLinkRequest(id: String, userID: String) async throws -> LTIDeepLinkRequest? {
        try await reading { db in
            try await db.record("""
                SELECT * FROM lti_deep_link_request WHERE id = \(bind: id) AND user_id = \(bind: userID) AND expires_at > \(bind: Date())
                """)
        }
    }

    public func deleteDeepLinkRequest(id: String) async throws -> Bool {
        // One statement: of two answers to one request, one deletes it.
        try await reading { db in try await db.changed("DELETE FROM lti_deep_link_request WHERE id = \(bind: id) RETURNING id") == 1 }
    }

    public func setLTIRoleMap(_ map: LTIRoleMap?, schoolID: String) async throws {
        // jsonb: SQLKit reads a nested record back from JSON columns only.
        try await reading { db in try await db.execute("UPDATE school SET lti_roles = \(bind: map) WHERE id = \(bind: schoolID)") }
    }

    public func linkUser(platformID: String, subject: String, userID: String) async throws {
        try await reading { db in
            try await db.execute("""
                INSERT INTO lti_user (platform_id, subject, user_id) VALUES (\(bind: platformID), \(bind: subject), \(bind: userID))
                ON CONFLICT (platform_id, subject) DO UPDATE SET user_id = EXCLUDED.user_id
                """)
        }
    }
}
