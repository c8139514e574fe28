import EdControlEngine
import EdControlStorage
import Foundation
import GRDB

extension SQLiteStore {
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
}
