import AsyncHTTPClient
import EdControlEngine
import EdControlLTI
import EdControlStorage
import Foundation
import Logging
import NIOCore

/// Signing in from a school's LMS (LTI 1.3): the OIDC login the platform starts, the launch
/// it answers with, and who that makes the browser. No HTTP here; `LTIRoutes` carries it.
///
/// The flow: the platform sends the browser to `/lti/login` naming itself; `beginLogin`
/// notes a fresh state and nonce and sends the browser on to the platform's authorization
/// endpoint, the state also kept in a cookie of this browser. The platform posts the browser
/// back to `/lti/launch` with a signed `id_token` and the state; `completeLaunch` takes the
/// state (once), checks it is this browser's, verifies the token, and signs the user in.
public struct LTILaunches: Sendable {
    /// How long a login may take between the platform's two redirects.
    package static let loginLifetime: TimeInterval = 600
    package let store: any AccessStore & AuditStore & LTIStore & LessonStore
    let verifier: LaunchVerifier
    let logger: Logger

    /// - Parameter fetch: reads a platform's key set (`LMSRequests.get` in the service).
    public init(store: EdControlStore, logger: Logger, fetch: @escaping PlatformKeys.Fetch) {
        self.store = store
        self.logger = logger
        verifier = LaunchVerifier(keys: PlatformKeys(fetch: fetch), nonces: StoredNonces(store: store)) { issuer, clientIDs in
            try? await store.allPlatforms().first { $0.issuer == issuer && clientIDs.contains($0.clientID) }?.registration
        }
    }

    /// What a platform's login initiation names (LTI 1.3 §5.1.1).
    public struct LoginRequest: Sendable {
        public var issuer: String
        public var loginHint: String
        public var targetLinkURI: String
        public var messageHint: String?
        public var clientID: String?
        public var deploymentID: String?

        public init(issuer: String, loginHint: String, targetLinkURI: String, messageHint: String?, clientID: String?, deploymentID: String?) {
            self.issuer = issuer
            self.loginHint = loginHint
            self.targetLinkURI = targetLinkURI
            self.messageHint = messageHint
            self.clientID = clientID
            self.deploymentID = deploymentID
        }
    }

    /// Where to send the browser (the platform's authorization endpoint, asking it to post
    /// the launch to `launchURL`), and the state to keep in the browser's cookie.
    public func beginLogin(_ request: LoginRequest, launchURL: URL) async throws -> (redirect: URL, state: String) {
        let candidates = try await store.allPlatforms().filter {
            $0.issuer == request.issuer && (request.clientID == nil || $0.clientID == request.clientID)
        }
        guard let platform = candidates.first else {
            throw LaunchRefusal.unknownPlatform(issuer: request.issuer, clientIDs: request.clientID.map { [$0] } ?? [])
        }
        guard candidates.count == 1 else { throw LaunchRefusal.ambiguousPlatform(request.issuer) }
        if let deployment = request.deploymentID, !platform.deploymentIDs.contains(deployment) {
            throw LaunchRefusal.unknownDeployment(deployment)
        }
        guard LTIPlatform.origin(request.targetLinkURI) == LTIPlatform.origin(launchURL.absoluteString) else {
            throw LaunchRefusal.foreignTarget(request.targetLinkURI)
        }
        let login = LTILoginState(state: randomHex(bytes: 32), nonce: randomHex(bytes: 32), platformID: platform.id,
                                  targetLinkURI: request.targetLinkURI, expiresAt: Date().addingTimeInterval(Self.loginLifetime))
        try await store.saveLoginState(login)
        var components = URLComponents(url: platform.authorizationURL, resolvingAgainstBaseURL: false)!
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "scope", value: "openid"),
            URLQueryItem(name: "response_type", value: "id_token"),
            URLQueryItem(name: "response_mode", value: "form_post"),
            URLQueryItem(name: "prompt", value: "none"),
            URLQueryItem(name: "client_id", value: platform.clientID),
            URLQueryItem(name: "redirect_uri", value: launchURL.absoluteString),
            URLQueryItem(name: "login_hint", value: request.loginHint),
            URLQueryItem(name: "state", value: login.state),
            URLQueryItem(name: "nonce", value: login.nonce),
        ] + (request.messageHint.map { [URLQueryItem(name: "lti_message_hint", value: $0)] } ?? [])
        return (components.url!, login.state)
    }

    /// A browser signed in by a launch.
    public struct SignedIn: Sendable {
        public var user: User
        public var platform: LTIPlatform
        public var claims: LaunchClaims
        /// For the session cookie.
        public var sessionSecret: String
        /// The dashboard page to open: the launch's target when it is one.
        public var destination: String
    }

    /// Verifies the launch the platform posted and signs its user in. A refusal is recorded
    /// in the audit log of the school the login went to, and thrown as `LaunchRefusal`.
    /// - Parameter browserState: the state kept in this browser's cookie at login.
    public func completeLaunch(idToken: String, state: String, browserState: String?, sessionLifetime: TimeInterval) async throws -> SignedIn {
        guard let login = try await store.takeLoginState(state), let platform = try await store.platform(id: login.platformID) else {
            logger.notice("LTI launch refused", metadata: ["refusal": "\(LaunchRefusal.unknownLogin.code)"])
            throw LaunchRefusal.unknownLogin
        }
        do {
            guard browserState == state else { throw LaunchRefusal.stateFromAnotherBrowser }
            let (registration, claims) = try await verifier.verify(idToken, expectedNonce: login.nonce)
            guard registration.issuer == platform.issuer, registration.clientID == platform.clientID else { throw LaunchRefusal.platformMismatch }
            let school = try await store.school(id: platform.schoolID)
            guard let role = (school?.ltiRoles ?? .defaults).role(for: claims.roles ?? []) else { throw LaunchRefusal.noAccess(roles: claims.roles ?? []) }
            var user = try await user(for: claims, of: platform, role: role)
            var destination = Self.destination(claims.targetLinkURI ?? login.targetLinkURI)
            if role == .teacher {
                guard school?.teacherView == true else { throw LaunchRefusal.teacherViewOff }
                let teacher = try await teacher(for: claims, of: platform, user: user)
                user.teacherID = teacher.id
                if destination == "/lessons" { destination = "/teachers/\(teacher.id)" }
            }
            if let settings = claims.deepLinkingSettings {
                guard settings.acceptTypes.contains(DeepLinkingResponse.ResourceLink.typeName) else {
                    throw LaunchRefusal.unsupportedMessage("\(claims.messageType) accepting only \(settings.acceptTypes.joined(separator: ", "))")
                }
                let request = LTIDeepLinkRequest(id: randomHex(bytes: 32), userID: user.id, platformID: platform.id, deploymentID: claims.deploymentID,
                                                 returnURL: settings.returnURL, data: settings.data, expiresAt: Date().addingTimeInterval(3600))
                try await store.saveDeepLinkRequest(request)
                destination = "/lti/deep-link/\(request.id)"
            }
            if let context = claims.context {
                try await store.recordCourse(LTICourse(platformID: platform.id, contextID: context.id, title: context.title ?? context.label ?? context.id,
                                                       membershipsURL: claims.namesRoleService?.membershipsURL, seenAt: Date()))
            }
            let (secret, _) = try await store.createSession(userID: user.id, lifetimeSeconds: sessionLifetime)
            try await store.record(AuditEvent(schoolID: platform.schoolID, actor: user.email, action: "user.lti_launch", target: "user \(user.id)",
                                              detail: "\(user.role.rawValue) from \(platform.issuer) (\(claims.messageType), deployment \(claims.deploymentID))"))
            return SignedIn(user: user, platform: platform, claims: claims, sessionSecret: secret, destination: destination)
        } catch let refusal as LaunchRefusal {
            try await store.record(AuditEvent(schoolID: platform.schoolID, actor: "LTI platform \(platform.issuer)", action: "lti.launch_refused",
                                              target: "platform \(platform.id)", detail: "\(refusal.code): \(refusal)"))
            logger.notice("LTI launch refused", metadata: ["refusal": "\(refusal.code)", "platform": "\(platform.issuer)"])
            throw refusal
        }
    }

    /// The user the platform's `sub` is linked to; on a first launch, the school's user with
    /// the launch's email, or a new one. Their role follows the LMS's at every launch (but a
    /// school's last admin stays admin).
    private func user(for claims: LaunchClaims, of platform: LTIPlatform, role: Role) async throws -> User {
        let subject = claims.subject ?? ""
        var user: User
        if let linked = try await store.linkedUser(platformID: platform.id, subject: subject) {
            user = linked
        } else {
            let email = Self.email(claims.email) ?? Self.placeholderEmail(subject: subject, platform: platform)
            if let existing = try await store.users(email: email).first(where: { $0.schoolID == platform.schoolID }) {
                user = existing
            } else {
                let name = claims.name ?? [claims.givenName, claims.familyName].compactMap { $0 }.joined(separator: " ")
                // Launched users sign in through the LMS, with no password until an admin sets one.
                user = try await store.createUser(schoolID: platform.schoolID, email: email, name: String((name.isEmpty ? email : name).prefix(200)),
                                                  role: role, passwordHash: User.noPassword)
                try await store.record(AuditEvent(schoolID: platform.schoolID, actor: "LTI platform \(platform.issuer)", action: "user.create",
                                                  target: "user \(user.id)", detail: "\(role.rawValue) \(email), first launch"))
            }
            try await store.linkUser(platformID: platform.id, subject: subject, userID: user.id)
        }
        if user.role != role {
            do {
                if try await store.setRole(userID: user.id, schoolID: user.schoolID, role: role) {
                    try await store.record(AuditEvent(schoolID: platform.schoolID, actor: "LTI platform \(platform.issuer)", action: "user.role",
                                                      target: "user \(user.id)", detail: "\(user.role.rawValue) → \(role.rawValue), from the LMS's roles"))
                    user.role = role
                }
            } catch is StoreConflict {
                // The school's last admin: kept, as the store's rule says.
            }
        }
        return user
    }

    /// The teacher a teacher's launch is (found or made by `LTIStore.teacher`), and the user
    /// made that teacher: whose lessons alone they see.
    private func teacher(for claims: LaunchClaims, of platform: LTIPlatform, user: User) async throws -> Teacher {
        let (teacher, created) = try await store.teacher(platformID: platform.id, subject: claims.subject ?? "", schoolID: platform.schoolID,
                                                         name: user.name, email: Self.email(claims.email))
        if created {
            try await store.record(AuditEvent(schoolID: platform.schoolID, actor: "LTI platform \(platform.issuer)", action: "teacher.create",
                                              target: "teacher \(teacher.id)", detail: "\(teacher.name), first launch"))
        }
        if user.teacherID != teacher.id { try await store.setTeacher(userID: user.id, teacherID: teacher.id) }
        return teacher
    }

    /// An address for a user whose LMS keeps emails private: unique per platform and `sub`,
    /// and never a deliverable one (`.invalid`, RFC 2606).
    static func placeholderEmail(subject: String, platform: LTIPlatform) -> String {
        "lti-\(SHA256Digest.of(Data("\(platform.issuer) \(subject)".utf8)).prefix(16))@\(URL(string: platform.issuer)?.host ?? "lms").invalid"
    }

    /// The dashboard path of the launch's target, if it is a page other than the launch
    /// itself; else the lessons.
    static func destination(_ target: String) -> String {
        guard let components = URLComponents(string: target), !components.path.isEmpty, components.path != "/",
              !components.path.hasPrefix("/lti/") else { return "/lessons" }
        return LocalPath.checked(Substring(components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")))
    }

    /// A claimed email as users and teachers are matched by: trimmed, lower-cased; nil if it is none.
    static func email(_ claimed: String?) -> String? {
        claimed.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.flatMap { $0.contains("@") ? $0 : nil }
    }
}

/// Launches' nonces in the store, so that every server process sharing it refuses a replay.
/// A store that cannot be read refuses the launch rather than risk one.
package struct StoredNonces: NonceRegistry {
    let store: LTIStore

    package func firstUse(of nonce: String, issuer: String, expiry: Date) async -> Bool {
        (try? await store.recordNonce(nonce, issuer: issuer, expiry: expiry)) ?? false
    }
}

/// The tool's own key pairs: the newest signs, all are published (`/lti/jwks`).
public struct LTIToolKeys: Sendable {
    /// How long a replaced key stays in the key set.
    static let keepRetired: TimeInterval = 7 * 86400

    let store: LTIStore

    public init(store: LTIStore) {
        self.store = store
    }

    /// The key the tool signs with, made on first use.
    public func signingKey() async throws -> ToolKey {
        if let current = try await store.toolKeys().first { return current }
        return try await rotate()
    }

    /// A new signing key; the one before stays in the key set for a week.
    @discardableResult
    public func rotate() async throws -> ToolKey {
        let key = try ToolKey.generate()
        try await store.addToolKey(key, keepRetired: Self.keepRetired)
        return key
    }

    /// The public keys as platforms read them.
    public func keySet() async throws -> Data {
        let keys = try await store.toolKeys()
        return try ToolKey.keySet(keys.isEmpty ? [try await rotate()] : keys)
    }
}
