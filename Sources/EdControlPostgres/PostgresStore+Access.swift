import EdControlEngine
import EdControlStorage
import Foundation
import PostgresKit

// MARK: AccessStore

extension PostgresStore {
    public func school(named name: String, createIfMissing: Bool) async throws -> School? {
        try await reading { db in
            if createIfMissing {
                let school = School(id: newIdentifier(), name: name, createdAt: Date(), transcription: .automatic)
                try await db.execute("""
                    INSERT INTO school (id, name, created_at, transcription) VALUES (\(bind: school.id), \(bind: name), \(bind: school.createdAt),
                        \(bind: school.transcription.rawValue))
                    ON CONFLICT (name) DO NOTHING
                    """)
            }
            return try await db.record("SELECT * FROM school WHERE name = \(bind: name)")
        }
    }

    public func school(id: String) async throws -> School? {
        try await reading { db in try await db.record("SELECT * FROM school WHERE id = \(bind: id)") }
    }

    public func createToken(schoolID: String, name: String, role: Role, expiresAt: Date?) async throws -> (secret: String, token: APIToken) {
        let secret = "edc_" + randomHex(bytes: 32)
        let token = APIToken(id: newIdentifier(), schoolID: schoolID, name: name, role: role,
                             secretHash: SHA256Digest.of(Data(secret.utf8)), createdAt: Date(), lastUsedAt: nil, expiresAt: expiresAt)
        try await reading { db in try await db.insert(token, into: "api_token") }
        return (secret, token)
    }

    public func principal(forToken secret: String) async throws -> Principal? {
        let hash = SHA256Digest.of(Data(secret.utf8))
        let now = Date()
        return try await reading { db in
            guard let token = try await db.record("SELECT * FROM api_token WHERE secret_hash = \(bind: hash)", as: APIToken.self),
                  !token.isExpired(at: now) else { return nil }
            if (token.lastUsedAt.map { now.timeIntervalSince($0) >= 60 } ?? true) {
                try await db.execute("UPDATE api_token SET last_used_at = \(bind: now) WHERE id = \(bind: token.id)")
            }
            return Principal(tokenID: token.id, tokenName: token.name, schoolID: token.schoolID, role: token.role)
        }
    }

    public func tokens(schoolID: String) async throws -> [APIToken] {
        try await reading { db in try await db.records("SELECT * FROM api_token WHERE school_id = \(bind: schoolID) ORDER BY created_at DESC, id") }
    }

    public func revokeToken(id: String, schoolID: String) async throws -> APIToken? {
        try await reading { db in try await db.record("DELETE FROM api_token WHERE id = \(bind: id) AND school_id = \(bind: schoolID) RETURNING *") }
    }

    public func createUser(schoolID: String, email: String, name: String, role: Role, passwordHash: String) async throws -> User {
        let user = User(id: newIdentifier(), schoolID: schoolID, email: email.lowercased(), name: name, role: role,
                        passwordHash: passwordHash, createdAt: Date())
        try await onDuplicate {
            try await reading { db in try await db.insert(user, into: "user") }
        } then: { _ in
            throw StoreConflict(message: "there is already a user with the email \(user.email) in this school")
        }
        return user
    }

    public func users(email: String) async throws -> [User] {
        try await reading { db in try await db.records(#"SELECT * FROM "user" WHERE email = \#(bind: email.lowercased()) ORDER BY created_at, id"#) }
    }

    public func users(schoolID: String) async throws -> [User] {
        try await reading { db in try await db.records(#"SELECT * FROM "user" WHERE school_id = \#(bind: schoolID) ORDER BY email"#) }
    }

    public func setRole(userID: String, schoolID: String, role: Role) async throws -> Bool {
        try await changingAdmins(of: schoolID) { db in
            guard let user = try await db.record(#"SELECT * FROM "user" WHERE id = \#(bind: userID) AND school_id = \#(bind: schoolID)"#,
                                                  as: User.self) else { return false }
            if user.role == .admin, role != .admin { try await Self.keepAnAdmin(schoolID: schoolID, db) }
            try await db.execute(#"UPDATE "user" SET role = \#(bind: role.rawValue) WHERE id = \#(bind: userID)"#)
            try await db.execute("DELETE FROM dashboard_session WHERE user_id = \(bind: userID)")
            return true
        }
    }

    public func deleteUser(id: String, schoolID: String) async throws -> User? {
        try await changingAdmins(of: schoolID) { db in
            guard let user = try await db.record(#"SELECT * FROM "user" WHERE id = \#(bind: id) AND school_id = \#(bind: schoolID)"#,
                                                  as: User.self) else { return nil }
            if user.role == .admin { try await Self.keepAnAdmin(schoolID: schoolID, db) }
            try await db.execute(#"DELETE FROM "user" WHERE id = \#(bind: id)"#)  // sessions go with it (ON DELETE CASCADE)
            return user
        }
    }

    /// A transaction that holds the school's row locked: changes to one school's users
    /// happen one at a time, so two admins removed at once cannot both see the other stay.
    private func changingAdmins<T: Sendable>(of schoolID: String, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await transaction { db in
            try await db.execute("SELECT id FROM school WHERE id = \(bind: schoolID) FOR UPDATE")
            return try await body(db)
        }
    }

    /// Refuses a change that would leave the school with no admin to manage it.
    private static func keepAnAdmin(schoolID: String, _ db: any SQLDatabase) async throws {
        let admins = try await db.value(#"SELECT COUNT(*) FROM "user" WHERE school_id = \#(bind: schoolID) AND role = \#(bind: Role.admin.rawValue)"#,
                                        as: Int.self) ?? 0
        guard admins > 1 else { throw StoreConflict(message: "this is the school's only admin; make someone else admin first") }
    }

    public func setPasswordHash(userID: String, passwordHash: String) async throws -> Bool {
        try await transaction { db in
            guard try await db.changed(#"UPDATE "user" SET password_hash = \#(bind: passwordHash) WHERE id = \#(bind: userID) RETURNING id"#) > 0 else {
                return false
            }
            try await db.execute("DELETE FROM dashboard_session WHERE user_id = \(bind: userID)")
            return true
        }
    }

    public func createSession(userID: String, lifetimeSeconds: Double) async throws -> (secret: String, session: DashboardSession) {
        let secret = randomHex(bytes: 32)
        let now = Date()
        let session = DashboardSession(secretHash: SHA256Digest.of(Data(secret.utf8)), userID: userID, csrfToken: randomHex(bytes: 24),
                                       createdAt: now, expiresAt: now.addingTimeInterval(lifetimeSeconds))
        try await transaction { db in
            // Expired sessions go whenever a new one starts, so the table stays small.
            try await db.execute("DELETE FROM dashboard_session WHERE expires_at < \(bind: now)")
            try await db.insert(session, into: "dashboard_session")
        }
        return (secret, session)
    }

    public func principal(forSession secret: String) async throws -> (principal: Principal, csrfToken: String)? {
        let hash = SHA256Digest.of(Data(secret.utf8))
        return try await reading { db in
            guard let session = try await db.record("SELECT * FROM dashboard_session WHERE secret_hash = \(bind: hash)", as: DashboardSession.self),
                  session.expiresAt > Date(),
                  let user = try await db.record(#"SELECT * FROM "user" WHERE id = \#(bind: session.userID)"#, as: User.self) else { return nil }
            // A school that switched its teacher view off has signed its teachers out.
            if user.role == .teacher,
               try await db.record("SELECT * FROM school WHERE id = \(bind: user.schoolID)", as: School.self)?.teacherView != true { return nil }
            return (Principal(tokenID: user.id, tokenName: user.email, schoolID: user.schoolID, role: user.role, teacherID: user.teacherID),
                    session.csrfToken)
        }
    }

    public func deleteSession(secret: String) async throws {
        let hash = SHA256Digest.of(Data(secret.utf8))
        try await reading { db in try await db.execute("DELETE FROM dashboard_session WHERE secret_hash = \(bind: hash)") }
    }

    public func countSignInAttempt(_ limits: [SignInLimit], at date: Date, window: TimeInterval) async throws -> SignInAttemptCount {
        try await transaction { db in
            // Attempts on one key are counted one at a time (a lock per key, for this
            // transaction), so concurrent guesses cannot all see room under the limit.
            for key in Set(limits.map(\.key)).sorted() {
                try await db.execute("SELECT pg_advisory_xact_lock(hashtextextended(\(bind: "sign-in:" + key), 0))")
            }
            try await db.execute("DELETE FROM sign_in_failure WHERE at < \(bind: date.addingTimeInterval(-window))")
            var refusedUntil: Date?
            for limit in limits {
                let times = try await db.values("SELECT at FROM sign_in_failure WHERE key = \(bind: limit.key) ORDER BY at", as: Date.self)
                guard times.count >= limit.attempts else { continue }
                // Allowed again once enough of these attempts have left the window.
                let frees = times[times.count - limit.attempts].addingTimeInterval(window)
                refusedUntil = max(refusedUntil ?? frees, frees)
            }
            if let refusedUntil { return .refused(until: refusedUntil) }
            let attempt = UUID().uuidString
            for limit in limits {
                try await db.execute("INSERT INTO sign_in_failure (key, at, attempt) VALUES (\(bind: limit.key), \(bind: date), \(bind: attempt))")
            }
            return .counted(attempt)
        }
    }

    public func forgetSignInAttempt(_ attempt: String, clearing key: String) async throws {
        try await reading { db in try await db.execute("DELETE FROM sign_in_failure WHERE attempt = \(bind: attempt) OR key = \(bind: key)") }
    }

    public func clearSignInFailures(key: String) async throws {
        try await reading { db in try await db.execute("DELETE FROM sign_in_failure WHERE key = \(bind: key)") }
    }
}
