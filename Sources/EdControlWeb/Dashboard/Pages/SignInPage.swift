import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/sign-in` and `/sign-out`: email and password, then a session cookie.
struct SignInPage {
    let store: any AccessStore & AuditStore
    let pages: PageRenderer
    var throttle: SignInThrottle { SignInThrottle(store: store) }
    static let sessionLifetime: Double = 12 * 3600

    struct Form: Decodable {
        var email: String
        var password: String
        var next: String?
    }

    struct Model {
        var email: String
        var next: String
        var error: String?
    }

    func add(to router: Router<APIContext>) {
        router.get("sign-in") { request, context in
            let next = LocalPath.checked(request.uri.queryParameters["next"])
            if context.identity != nil { return Response.redirect(to: next, type: .found) }
            return page(Model(email: "", next: next, error: nil), request, context)
        }
        router.post("sign-in", use: signIn)
        router.post("sign-out") { request, context in
            if let secret = request.cookies[SessionAuthenticator.cookieName]?.value {
                try await store.deleteSession(secret: secret)
            }
            var response = Response.redirect(to: "/sign-in", type: .normal)
            response.setCookie(Self.cookie(value: "", maxAge: 0))
            return response
        }
    }

    @Sendable func signIn(_ request: Request, context: APIContext) async throws -> Response {
        try SessionAuthenticator.checkOrigin(request)
        let t = pages.text(for: request)
        let body = String(buffer: try await request.body.collect(upTo: 64 << 10))
        guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: body) else {
            return page(Model(email: "", next: "/lessons", error: t["sign_in_missing"]), request, context, status: .badRequest)
        }
        let next = LocalPath.checked(form.next.map { Substring($0) })
        let email = form.email.trimmingCharacters(in: .whitespaces)
        let address = context.remoteAddress?.ipAddress
        let attempt: String
        switch try await throttle.begin(email: email, address: address) {
        case .counted(let counted):
            attempt = counted
        case .wait(let wait):
            var response = page(Model(email: email, next: next, error: t.format("sign_in_throttled", Int((wait / 60).rounded(.up)))),
                                request, context, status: .tooManyRequests)
            response.headers[.retryAfter] = String(Int(wait.rounded(.up)))
            return response
        }
        // The same answer and about the same time whether the email or the password is wrong.
        // An email may be a user of several schools: the password says whose account it is
        // (the oldest, should one person have given two accounts the same password).
        var user: User?
        for candidate in try await store.users(email: email) where user == nil {
            if try await Passwords.verify(form.password, hash: candidate.passwordHash) { user = candidate }
        }
        if user == nil { _ = try await Passwords.verify(form.password, hash: Passwords.decoyHash) }
        guard let user else {
            return page(Model(email: email, next: next, error: t["sign_in_wrong"]), request, context, status: .unauthorized)
        }
        try await throttle.succeeded(attempt, email: email)
        let (secret, _) = try await store.createSession(userID: user.id, lifetimeSeconds: Self.sessionLifetime)
        try await store.record(AuditEvent(schoolID: user.schoolID, actor: user.email, action: "user.sign_in", target: "user \(user.id)"))
        var response = Response.redirect(to: next, type: .normal)
        response.setCookie(Self.cookie(value: secret, maxAge: Int(Self.sessionLifetime)))
        return response
    }

    private func page(_ model: Model, _ request: Request, _ context: APIContext, status: HTTPResponse.Status = .ok) -> Response {
        pages.render("sign-in", title: pages.text(for: request)["sign_in_title"], model: model, request: request, context: context, status: status)
    }

    /// HttpOnly (scripts cannot read it) and SameSite=Lax (not sent with other sites' form posts).
    static func cookie(value: String, maxAge: Int) -> Cookie {
        Cookie(name: SessionAuthenticator.cookieName, value: value, maxAge: maxAge, path: "/", httpOnly: true, sameSite: .lax)
    }
}
