import EdControlLTI
import Foundation

/// A platform (an LMS) registered with a school, as stored: what `LaunchVerifier` checks
/// launches against, and which origins may frame the school's pages.
public struct LTIPlatform: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    public var issuer: String
    public var clientID: String
    public var deploymentIDs: [String]
    public var authorizationURL: URL
    public var tokenURL: URL
    public var keysURL: URL
    /// Origins (scheme, host and port) of the LMS's pages, which may show EdControl in a
    /// frame for this school's users. By default those of the issuer and the authorization
    /// URL; an LMS whose pages live elsewhere (Canvas: the school's own domain) names them.
    public var frameOrigins: [String]
    public var createdAt: Date

    public init(schoolID: String, issuer: String, clientID: String, deploymentIDs: [String], authorizationURL: URL, tokenURL: URL,
                keysURL: URL, frameOrigins: [String]? = nil) {
        id = newIdentifier()
        self.schoolID = schoolID
        self.issuer = issuer
        self.clientID = clientID
        self.deploymentIDs = deploymentIDs
        self.authorizationURL = authorizationURL
        self.tokenURL = tokenURL
        self.keysURL = keysURL
        self.frameOrigins = frameOrigins ?? Array(Set([issuer, authorizationURL.absoluteString].compactMap(Self.origin))).sorted()
        createdAt = Date()
    }

    /// What the verifier needs of it.
    public var registration: PlatformRegistration {
        PlatformRegistration(school: schoolID, issuer: issuer, clientID: clientID, deploymentIDs: deploymentIDs,
                             authorizationURL: authorizationURL, tokenURL: tokenURL, keysURL: keysURL)
    }

    /// `https://lms.example:8443` of any URL on that site; nil for what is not an http(s) URL.
    public static func origin(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host?.lowercased(), !host.isEmpty else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}

/// A login under way: what the tool sent the platform (state, nonce) and expects back in the
/// launch. Kept for a few minutes, taken once.
public struct LTILoginState: Codable, Sendable, Equatable {
    public var state: String
    public var nonce: String
    public var platformID: String
    public var targetLinkURI: String
    public var expiresAt: Date

    package init(state: String, nonce: String, platformID: String, targetLinkURI: String, expiresAt: Date) {
        self.state = state
        self.nonce = nonce
        self.platformID = platformID
        self.targetLinkURI = targetLinkURI
        self.expiresAt = expiresAt
    }
}

extension LTIStore {
    /// Origins of the LMS pages that may frame a school's pages (nil: any school's).
    package func frameOrigins(schoolID: String?) async throws -> [String] {
        let platforms = if let schoolID { try await platforms(schoolID: schoolID) } else { try await allPlatforms() }
        return Array(Set(platforms.flatMap(\.frameOrigins))).sorted()
    }
}

/// A deep-linking launch waiting for its user to pick what the LMS's new link opens.
public struct LTIDeepLinkRequest: Codable, Sendable, Equatable {
    public var id: String
    public var userID: String
    public var platformID: String
    public var deploymentID: String
    /// Where the browser posts the answer.
    public var returnURL: String
    /// The platform's opaque `data`, to return as it came.
    public var data: String?
    public var expiresAt: Date

    package init(id: String, userID: String, platformID: String, deploymentID: String, returnURL: String, data: String? = nil,
                 expiresAt: Date) {
        self.id = id
        self.userID = userID
        self.platformID = platformID
        self.deploymentID = deploymentID
        self.returnURL = returnURL
        self.data = data
        self.expiresAt = expiresAt
    }
}

/// A course of a school's LMS, as a launch from it showed it: what its teachers can be
/// imported from.
public struct LTICourse: Codable, Sendable, Equatable {
    public var platformID: String
    public var contextID: String
    public var title: String
    /// The course's membership service (NRPS), if the platform offers it.
    public var membershipsURL: String?
    public var seenAt: Date

    package init(platformID: String, contextID: String, title: String, membershipsURL: String? = nil, seenAt: Date) {
        self.platformID = platformID
        self.contextID = contextID
        self.title = title
        self.membershipsURL = membershipsURL
        self.seenAt = seenAt
    }
}

/// LMS platforms, the tool's keys, logins under way and who launched as whom.
public protocol LTIStore: Sendable {
    /// Registers a platform with a school; refused (`StoreConflict`) if the issuer and client
    /// id are registered already (by any school: a launch must lead to one school).
    func addPlatform(_ platform: LTIPlatform) async throws -> LTIPlatform
    func platforms(schoolID: String) async throws -> [LTIPlatform]
    /// Every school's platforms: what may frame which school's pages, and launches' lookup.
    func allPlatforms() async throws -> [LTIPlatform]
    func platform(id: String) async throws -> LTIPlatform?
    /// Removes a platform of the school, and the links of its users (the users stay).
    func deletePlatform(id: String, schoolID: String) async throws -> LTIPlatform?

    /// The tool's key pairs in its key set, newest (the one it signs with) first.
    func toolKeys() async throws -> [ToolKey]
    /// Makes `key` the one the tool signs with. The ones before it stay in the key set for
    /// `keepRetired` (a platform may still check something they signed), then go.
    func addToolKey(_ key: ToolKey, keepRetired: TimeInterval) async throws

    func saveLoginState(_ login: LTILoginState) async throws
    /// The login with this state, removed so that it is used once; nil if unknown or expired.
    func takeLoginState(_ state: String) async throws -> LTILoginState?
    /// Records a launch's nonce; false if it was recorded before (expired ones are forgotten).
    func recordNonce(_ nonce: String, issuer: String, expiry: Date) async throws -> Bool

    /// The user a platform's `sub` was linked to.
    func linkedUser(platformID: String, subject: String) async throws -> User?
    /// Links a platform's `sub` to a user of the platform's school.
    func linkUser(platformID: String, subject: String, userID: String) async throws

    /// In one transaction, the teacher of the platform's school that a platform's `sub` is:
    /// the one linked to it, else the one with this email (then linked), else a new one (then
    /// linked). `created` says which; nobody becomes two teachers.
    func teacher(platformID: String, subject: String, schoolID: String, name: String, email: String?) async throws -> (teacher: Teacher, created: Bool)
    /// Makes a user of the teacher role the teacher `teacherID` (nil: none).
    func setTeacher(userID: String, teacherID: String?) async throws
    /// Switches the school's teacher view on or off (off: teachers' sessions end at once).
    func setTeacherView(_ enabled: Bool, schoolID: String) async throws
    /// The school's table of LMS roles (nil: the built-in one).
    func setLTIRoleMap(_ map: LTIRoleMap?, schoolID: String) async throws

    /// A new link with which an LMS registers itself with the school (dynamic registration);
    /// the secret is returned once and only its hash kept.
    func createRegistrationInvite(schoolID: String, expiresAt: Date) async throws -> String
    /// The school of an unused, unexpired invitation.
    func registrationInvite(_ secret: String) async throws -> String?
    /// Uses an invitation up; false if it was used (or expired) already.
    func useRegistrationInvite(_ secret: String) async throws -> Bool

    /// Notes a course a launch came from (and its membership service), or updates it.
    func recordCourse(_ course: LTICourse) async throws
    /// The courses of the school's platforms, most recently seen first.
    func courses(schoolID: String) async throws -> [LTICourse]

    func saveDeepLinkRequest(_ request: LTIDeepLinkRequest) async throws
    /// The user's request, if it has not expired or been answered.
    func deepLinkRequest(id: String, userID: String) async throws -> LTIDeepLinkRequest?
    /// Removes an answered request; false if it was answered already.
    func deleteDeepLinkRequest(id: String) async throws -> Bool
}
