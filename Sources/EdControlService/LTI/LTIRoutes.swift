import EdControlLTI
import Foundation
import Hummingbird

/// `/lti/login`, `/lti/launch` and `/lti/jwks`: the tool's side of an LMS launch. Refusals
/// are pages (the browser is inside the LMS), may be framed by the LMS, and are audited by
/// `LTILaunches`.
struct LTIRoutes {
    let launches: LTILaunches
    let pages: PageRenderer
    /// `serve --public-url`: the address the LMS knows this server by; else the request's.
    let publicURL: URL?

    static let stateCookiePrefix = "edcontrol_lti_"

    func add(to router: Router<APIContext>) {
        router.get("lti/login", use: login)
        router.post("lti/login", use: login)
        router.post("lti/launch", use: launch)
        router.get("lti/jwks") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(data: try await LTIToolKeys(store: launches.store).keySet())))
        }
    }

    struct LoginForm: Decodable {
        var iss: String?
        var login_hint: String?
        var target_link_uri: String?
        var lti_message_hint: String?
        var client_id: String?
        var lti_deployment_id: String?
    }

    @Sendable func login(_ request: Request, context: APIContext) async throws -> Response {
        let form: LoginForm = try await parameters(of: request)
        guard let issuer = form.iss, let hint = form.login_hint, let target = form.target_link_uri else {
            return refusal(.badRequest, "the LMS's login request lacks iss, login_hint or target_link_uri; check the tool's login URL in the LMS", request, context)
        }
        do {
            let (redirect, state) = try await launches.beginLogin(
                .init(issuer: issuer, loginHint: hint, targetLinkURI: target, messageHint: form.lti_message_hint, clientID: form.client_id,
                      deploymentID: form.lti_deployment_id),
                launchURL: base(of: request).appendingPathComponent("lti/launch"))
            var response = Response.redirect(to: redirect.absoluteString, type: .found)
            response.setCookie(cookie(Self.stateCookiePrefix + state.prefix(16), value: state, maxAge: Int(LTILaunches.loginLifetime)))
            return response
        } catch let refusal as LaunchRefusal {
            return self.refusal(.forbidden, refusal.description, request, context)
        }
    }

    struct LaunchForm: Decodable {
        var id_token: String?
        var state: String?
        var error: String?
        var error_description: String?
    }

    @Sendable func launch(_ request: Request, context: APIContext) async throws -> Response {
        let form: LaunchForm = try await parameters(of: request)
        if let error = form.error {
            return refusal(.forbidden, "the LMS did not sign you in (\(error)\(form.error_description.map { ": \($0)" } ?? "")); start again from the LMS", request, context)
        }
        guard let token = form.id_token, let state = form.state, !state.isEmpty else {
            return refusal(.badRequest, "the launch lacks id_token or state; start it again from the LMS", request, context)
        }
        let stateCookie = Self.stateCookiePrefix + state.prefix(16)
        do {
            let signedIn = try await launches.completeLaunch(idToken: token, state: state, browserState: request.cookies[stateCookie]?.value,
                                                             sessionLifetime: SignInPage.sessionLifetime)
            var response = Response.redirect(to: signedIn.destination, type: .normal)
            response.setCookie(cookie(SessionAuthenticator.cookieName, value: signedIn.sessionSecret, maxAge: Int(SignInPage.sessionLifetime)))
            response.setCookie(cookie(stateCookie, value: "", maxAge: 0))
            return response
        } catch let refusal as LaunchRefusal {
            return self.refusal(.forbidden, refusal.description, request, context)
        }
    }

    /// The query of a GET, the form of a POST.
    private func parameters<T: Decodable>(of request: Request) async throws -> T {
        let text = request.method == .post ? String(buffer: try await request.body.collect(upTo: 64 << 10)) : request.uri.query ?? ""
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: text)
        } catch {
            throw HTTPError(.badRequest, message: "the LMS's request is not a form this tool reads")
        }
    }

    private func base(of request: Request) -> URL {
        publicURL ?? URL(string: "http://\(request.head.authority ?? "localhost")")!
    }

    /// Cookies that come back with the LMS's cross-site POST and inside its frame: over
    /// HTTPS `SameSite=None; Secure` (browsers refuse None without Secure); over plain HTTP
    /// (a test on loopback, same site as its LMS) `Lax`.
    private func cookie(_ name: String, value: String, maxAge: Int) -> Cookie {
        publicURL?.scheme == "https"
            ? Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: true, httpOnly: true, sameSite: .none)
            : Cookie(name: name, value: value, maxAge: maxAge, path: "/", httpOnly: true, sameSite: .lax)
    }

    private func refusal(_ status: HTTPResponse.Status, _ message: String, _ request: Request, _ context: APIContext) -> Response {
        let t = pages.text(for: request)
        let model = ["status": "\(status.code)", "message": message.prefix(1).uppercased() + message.dropFirst(), "heading": t["lti_refused"]]
        return pages.render("error", title: t["lti_refused"], model: model, request: request, context: context, status: status)
    }
}
