import EdControlStorage
import Foundation

/// The life of a school's API tokens: made by the operator (command line) or the school's
/// admins (API, Tokens page), listed with their last use, revoked at once; every change is
/// in the audit log. A token that leaked (an LMS integration's, say) is revoked here, and one
/// made with an expiry stops working by itself.
public enum APITokens {
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// The longest expiry a token can be given (ten years), so a typo cannot overflow dates.
    public static let maxDays = 3650

    /// A new token; the secret is returned once.
    public static func create(in store: AccessStore & AuditStore, schoolID: String, name: String, role: Role, expiresInDays days: Int?,
                              by actor: String) async throws -> (secret: String, token: APIToken) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Refusal(description: "a token's name must be 1–100 characters without control characters, such as 'LMS integration'")
        }
        guard Role.assignable.contains(role) else {
            throw Refusal(description: "a token's role must be admin, manager or viewer; teachers sign in from the LMS")
        }
        if let days, !(1...maxDays).contains(days) {
            throw Refusal(description: "a token's expiry must be 1–\(maxDays) days, or none (valid until revoked)")
        }
        let expiresAt = days.map { Date().addingTimeInterval(Double($0) * 86400) }
        let made = try await store.createToken(schoolID: schoolID, name: name, role: role, expiresAt: expiresAt)
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "token.create", target: "token \(made.token.id)",
                                          detail: "\(role.rawValue) token '\(name)'" + (expiresAt.map { ", expires \(ISO8601DateFormatter().string(from: $0))" } ?? "")))
        return made
    }

    /// Revokes a token of the school; nil if it has no such token.
    public static func revoke(in store: AccessStore & AuditStore, id: String, schoolID: String, by actor: String) async throws -> APIToken? {
        guard let token = try await store.revokeToken(id: id, schoolID: schoolID) else { return nil }
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "token.revoke", target: "token \(token.id)",
                                          detail: "\(token.role.rawValue) token '\(token.name)'"))
        return token
    }
}
