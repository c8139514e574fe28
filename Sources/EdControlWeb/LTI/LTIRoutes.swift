import EdControlLTI
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/lti/login`, `/lti/launch` and `/lti/jwks`: the tool's side of an LMS launch, and
/// `/lti/deep-link/…`, where a deep-linking launch's user picks what the LMS's new link
/// opens. Refusals are pages (the browser is inside the LMS), may be framed by the LMS, and
/// are audited by `LTILaunches`.
struct LTIRoutes {
    let launches: LTILaunches
    let deepLinking: LTIDeepLinking
    let registration: LTIDynamicRegistration
    let pages: PageRenderer
    /// `serve --public-url`: the address the LMS knows this server by; else the request's.
    let publicURL: URL?

    static let stateCookiePrefix = "edcontrol_lti_"
    /// The pages the LMS's browser posts to before anyone is signed in.
    static let launchPaths: Set<String> = ["/lti/login", "/lti/launch"]

    /// Pages of the LMS's flows, which carry their own proof (a state and a signed token, or a
    /// registration link) and take no part in a dashboard session the browser may have.
    static func takesNoSession(_ path: String) -> Bool {
        launchPaths.contains(path) || path.hasPrefix("/lti/register/")
    }

    func add(to router: Router<APIContext>) {
        router.get("lti/login", use: login)
        router.post("lti/login", use: login)
        router.post("lti/launch", use: launch)
        router.get("lti/register/:invite", use: showRegistration)
        router.post("lti/register/:invite", use: register)
        router.get("lti/deep-link/:request", use: pickLink)
        router.post("lti/deep-link/:request", use: sendLink)
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

    struct PickModel {
        struct Option { var value: String; var label: String; var checked: Bool }
        var request: String
        var options: [Option]
    }

    /// A deep-linking choice in words: the page's option and the title the link will carry.
    private func label(_ choice: LTIDeepLinking.Choice, _ caller: Principal, _ t: InterfaceText) -> String {
        switch choice.kind {
        case .lessons: t[caller.ownTeacherID == nil ? "deep_link_lessons" : "deep_link_my_lessons"]
        case .teacher: t.format("deep_link_teacher", choice.name)
        case .lesson: t.format("deep_link_lesson", choice.name)
        }
    }

    @Sendable func pickLink(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .teacher)
        let t = pages.text(for: request)
        let id = try context.parameters.require("request")
        guard try await deepLinking.request(id, of: caller) != nil else {
            return refusal(.notFound, t["deep_link_gone"], request, context)
        }
        let options = try await deepLinking.choices(for: caller).enumerated().map {
            PickModel.Option(value: $1.path, label: label($1, caller, t), checked: $0 == 0)
        }
        return pages.render("lti-deep-link", title: t["deep_link_title"], model: PickModel(request: id, options: options), request: request, context: context)
    }

    struct PickForm: Decodable { var path: String }

    /// Signs the answer and has the browser post it to the LMS (a form the page's script
    /// submits at once; its button does without script). The page's policy lets that one
    /// form post to the LMS.
    @Sendable func sendLink(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .teacher)
        let t = pages.text(for: request)
        let form: PickForm = try await parameters(of: request)
        guard let (returnURL, jwt) = try await deepLinking.answer(try context.parameters.require("request"), path: form.path, base: base(of: request),
                                                                  by: caller, title: { label($0, caller, t) }),
              let target = LTIPlatform.origin(returnURL) else {
            return refusal(.notFound, t["deep_link_gone"], request, context)
        }
        var response = pages.render("lti-deep-link-return", title: t["deep_link_title"], model: ["returnURL": returnURL, "jwt": jwt],
                                    request: request, context: context)
        response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware.pagePolicy(
            frameAncestors: try await launches.store.frameOrigins(schoolID: caller.schoolID), formTargets: [target])
        return response
    }

    struct RegistrationForm: Decodable {
        var openid_configuration: String?
        var registration_token: String?
    }

    struct RegistrationModel {
        var invite: String
        var school: String
        var issuer: String
        var configuration: String
        var token: String
        var done: Bool
    }

    /// Dynamic registration's page, opened by the LMS: what will be connected, and a button.
    @Sendable func showRegistration(_ request: Request, context: APIContext) async throws -> Response {
        try await registrationPage(request, context) { invite, form, school, configurationURL in
            let configuration = try await registration.configuration(at: configurationURL, token: form.registration_token)
            return RegistrationModel(invite: invite, school: school.name, issuer: configuration.issuer, configuration: configurationURL.absoluteString,
                                     token: form.registration_token ?? "", done: false)
        }
    }

    /// The LMS's person agreed: the tool registers itself, and the page tells the LMS to close it.
    @Sendable func register(_ request: Request, context: APIContext) async throws -> Response {
        try await registrationPage(request, context) { invite, form, school, configurationURL in
            let platform = try await registration.register(invite: invite, configurationURL: configurationURL, token: form.registration_token,
                                                           base: base(of: request))
            return RegistrationModel(invite: invite, school: school.name, issuer: platform.issuer, configuration: "", token: "", done: true)
        }
    }

    /// A registration page for a valid link and configuration URL, framable by the LMS the
    /// configuration comes from; refusals as pages.
    private func registrationPage(_ request: Request, _ context: APIContext,
                                  _ model: (String, RegistrationForm, School, URL) async throws -> RegistrationModel) async throws -> Response {
        let t = pages.text(for: request)
        let invite = try context.parameters.require("invite")
        let form: RegistrationForm = try await parameters(of: request)
        let lms = form.openid_configuration.flatMap { LTIPlatform.origin($0) != nil ? URL(string: $0) : nil }
        var response: Response
        do {
            guard let school = try await registration.school(ofInvite: invite) else {
                throw LTIDynamicRegistration.Refusal(description: t["lti_register_gone"])
            }
            guard let lms else {
                throw LTIDynamicRegistration.Refusal(description: t["lti_register_no_configuration"])
            }
            response = pages.render("lti-register", title: t["lti_register_title"], model: try await model(invite, form, school, lms),
                                    request: request, context: context)
        } catch let refusal as LTIDynamicRegistration.Refusal {
            response = self.refusal(.forbidden, refusal.description, request, context)
        }
        response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware.pagePolicy(frameAncestors: lms.flatMap { LTIPlatform.origin($0.absoluteString) }.map { [$0] } ?? [])
        return response
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
        Self.publicBase(publicURL, request)
    }

    /// Where LMSs reach this server: `serve --public-url`, else the address the request came to.
    static func publicBase(_ publicURL: URL?, _ request: Request) -> URL {
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
