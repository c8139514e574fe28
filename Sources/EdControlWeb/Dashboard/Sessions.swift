import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt

/// Dashboard sign-in. Sessions live in the store (not in memory) so that a restart or a
/// second server process does not sign everybody out; hence this small middleware rather
/// than HummingbirdAuth's in-memory session storage.
///
/// A browser signed in with the `edcontrol_session` cookie acts with its user's school and
/// role on every route, the API included. Changes (POST, DELETE, …) must also carry the
/// session's CSRF token, as the `X-CSRF-Token` header (scripts) or a `csrf` form field
/// (forms), and must not come from another origin.
struct SessionAuthenticator: RouterMiddleware {
    typealias Context = APIContext
    static let cookieName = "edcontrol_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let store: AccessStore

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        // An LMS's login and launch are posted by the LMS's page, carry their own proof (state
        // and a signed token) and sign in afresh: a session already here takes no part.
        guard context.identity == nil, !LTIRoutes.takesNoSession(request.uri.path), let secret = request.cookies[Self.cookieName]?.value,
              let (principal, csrfToken) = try await store.principal(forSession: secret) else {
            return try await next(request, context)
        }
        var context = context
        context.identity = principal
        context.csrfToken = csrfToken
        var request = request
        if ![.get, .head, .options].contains(request.method) {
            try Self.checkOrigin(request)
            guard try await Self.submittedCSRFToken(&request, context: context) == csrfToken else {
                throw HTTPError(.forbidden, message: "this form has expired or did not come from the EdControl dashboard; reload the page and try again")
            }
        }
        return try await next(request, context)
    }

    /// Refuses a change sent by a page of another site (the browser says where it came from).
    static func checkOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin] else { return }
        let host = URL(string: origin)?.host.map { host in URL(string: origin)?.port.map { "\(host):\($0)" } ?? host }
        guard host == request.head.authority else {
            throw HTTPError(.forbidden, message: "changes must come from the EdControl dashboard itself, not from \(origin)")
        }
    }

    private struct CSRFField: Decodable { var csrf: String? }

    private static func submittedCSRFToken(_ request: inout Request, context: APIContext) async throws -> String? {
        if let header = request.headers[csrfHeader] { return header }
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else { return nil }
        // The body is kept (collected into the request) for the route to decode.
        let body = try await request.collectBody(upTo: 1 << 20)
        return try? URLEncodedFormDecoder().decode(CSRFField.self, from: String(buffer: body)).csrf
    }
}

/// Passwords as bcrypt hashes (cost 11: about 0.1 s per check here, slow for guessing).
enum Passwords {
    static let minimumLength = 10

    static func hash(_ password: String) async throws -> String {
        try await onOwnThread { Bcrypt.hash(password, cost: 11) }
    }

    /// Checked against when the email is unknown, so that the answer takes as long.
    static let decoyHash = Bcrypt.hash("not a password of anybody's", cost: 11)

    static func verify(_ password: String, hash: String) async throws -> Bool {
        guard hash != User.noPassword else { return false }
        return try await onOwnThread { Bcrypt.verify(password, hash: hash) }
    }

    /// Why a new password is refused, or nil if it will do.
    static func weakness(of password: String) -> String? {
        password.count < minimumLength ? "a password must have at least \(minimumLength) characters" : nil
    }
}

/// Dashboard accounts, as the command line creates them.
public enum UserAccounts {
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// A new user of `school` (created if new) with a bcrypt hash of `password`.
    public static func create(in store: any AccessStore & AuditStore, school: String, email: String, name: String, role: Role, password: String) async throws -> User {
        guard let school = try await store.school(named: school, createIfMissing: true) else { throw Refusal(description: "no school") }
        return try await create(in: store, schoolID: school.id, email: email, name: name, role: role, password: password, by: "command line")
    }

    /// A new user of the school, audited as done by `actor`.
    static func create(in store: any AccessStore & AuditStore, schoolID: String, email: String, name: String, role: Role, password: String, by actor: String) async throws -> User {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.contains("@"), email.count <= 254, !email.contains(where: \.isWhitespace) else {
            throw Refusal(description: "'\(email)' is not an email address")
        }
        if let weakness = Passwords.weakness(of: password) { throw Refusal(description: weakness) }
        guard Role.assignable.contains(role) else { throw Refusal(description: "a user's role must be admin, manager or viewer; teachers sign in from the LMS") }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let user = try await store.createUser(schoolID: schoolID, email: email, name: String((name.isEmpty ? email : name).prefix(200)), role: role,
                                                  passwordHash: try await Passwords.hash(password))
            try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "user.create", target: "user \(user.id)",
                                              detail: "\(role.rawValue) \(email)"))
            return user
        } catch let conflict as StoreConflict {
            throw Refusal(description: conflict.message)
        }
    }

    /// The user with this email, in `school` when several schools have one (the command line's
    /// way of naming a user; it is the operator's, who sees every school).
    public static func user(in store: any AccessStore, email: String, school: String?) async throws -> User {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        var found = try await store.users(email: email)
        if let school {
            guard let schoolID = try await store.school(named: school, createIfMissing: false)?.id else { throw Refusal(description: "there is no school \(school)") }
            found = found.filter { $0.schoolID == schoolID }
        }
        guard let user = found.first else { throw Refusal(description: "there is no dashboard user \(email)" + (school.map { " in \($0)" } ?? "")) }
        guard found.count == 1 else {
            throw Refusal(description: "\(email) is a user of \(found.count) schools; say which with --school")
        }
        return user
    }

    /// Replaces the user's password, signs them out everywhere and lifts the sign-in throttle
    /// on their account.
    public static func setPassword(in store: any AccessStore & AuditStore, user: User, password: String, by actor: String = "command line") async throws {
        if let weakness = Passwords.weakness(of: password) { throw Refusal(description: weakness) }
        guard try await store.setPasswordHash(userID: user.id, passwordHash: try await Passwords.hash(password)) else {
            throw Refusal(description: "there is no dashboard user \(user.email)")
        }
        try await SignInThrottle(store: store).clear(email: user.email)
        try await store.record(AuditEvent(schoolID: user.schoolID, actor: actor, action: "user.password", target: "user \(user.id)",
                                          detail: "password replaced; sessions ended; sign-in lock lifted"))
    }

    /// A random password people can type: 16 letters and digits without look-alikes.
    public static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var random = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet.randomElement(using: &random)! })
    }
}
