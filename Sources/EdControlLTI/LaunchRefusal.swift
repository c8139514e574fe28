/// Why a login or a launch was refused. `code` goes into the audit log; `description` says what is wrong
/// and who can fix it, for the page the browser is shown.
public enum LaunchRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedToken(String)
    case algorithmNotAllowed(String)
    case unknownPlatform(issuer: String, clientIDs: [String])
    case keysUnavailable(String, String)
    case unknownKey(String)
    case badSignature
    case malformedClaims(String)
    case wrongAudience(String)
    case expired
    case issuedInTheFuture
    case nonceMismatch
    case nonceReplayed
    case unknownDeployment(String)
    case unsupportedMessage(String)
    case unsupportedVersion(String)
    case missingClaim(String)
    /// Several registrations share the issuer, and the login named no client id.
    case ambiguousPlatform(String)
    /// The login asks to open a page of another site.
    case foreignTarget(String)
    /// The launch answers no login under way (unknown, expired or already used).
    case unknownLogin
    /// The launch answers a login another browser started.
    case stateFromAnotherBrowser
    /// The launch comes from another platform than the login went to.
    case platformMismatch
    /// None of the launch's roles gives access to EdControl.
    case noAccess(roles: [String])
    /// The launch is a teacher's and the school has switched the teacher view off.
    case teacherViewOff

    public var code: String {
        switch self {
        case .malformedToken: "malformed-token"
        case .algorithmNotAllowed: "algorithm-not-allowed"
        case .unknownPlatform: "unknown-platform"
        case .keysUnavailable: "platform-keys-unavailable"
        case .unknownKey: "unknown-key"
        case .badSignature: "bad-signature"
        case .malformedClaims: "malformed-claims"
        case .wrongAudience: "wrong-audience"
        case .expired: "expired"
        case .issuedInTheFuture: "issued-in-the-future"
        case .nonceMismatch: "nonce-mismatch"
        case .nonceReplayed: "nonce-replayed"
        case .unknownDeployment: "unknown-deployment"
        case .unsupportedMessage: "unsupported-message"
        case .unsupportedVersion: "unsupported-version"
        case .missingClaim: "missing-claim"
        case .ambiguousPlatform: "ambiguous-platform"
        case .foreignTarget: "foreign-target"
        case .unknownLogin: "unknown-login"
        case .stateFromAnotherBrowser: "state-from-another-browser"
        case .platformMismatch: "platform-mismatch"
        case .noAccess: "no-access"
        case .teacherViewOff: "teacher-view-off"
        }
    }

    public var description: String {
        switch self {
        case .malformedToken(let why):
            "the launch's id_token is not a signed JWT (\(why)); start the launch again from the LMS"
        case .algorithmNotAllowed(let algorithm):
            "the launch's id_token is signed with '\(algorithm)'; LTI 1.3 allows RS256 only: check the LMS's tool settings"
        case .unknownPlatform(let issuer, let clientIDs):
            "no school has registered the platform '\(issuer)' with client id \(clientIDs.joined(separator: ", ")); an administrator registers it under LMS platforms"
        case .keysUnavailable(let url, let why):
            "the platform's public keys could not be read from \(url) (\(why)); check the registration's key-set URL"
        case .unknownKey(let keyID):
            "the launch is signed with a key ('\(keyID)') that is not in the platform's key set"
        case .badSignature:
            "the launch's signature does not match the platform's key"
        case .malformedClaims(let why):
            "the launch's claims are incomplete or malformed (\(why))"
        case .wrongAudience(let why):
            "the launch was not meant for this tool (\(why))"
        case .expired:
            "the launch has expired; start it again from the LMS"
        case .issuedInTheFuture:
            "the launch was issued in the future: the LMS's clock or this server's is wrong"
        case .nonceMismatch:
            "the launch does not answer this browser's sign-in (its nonce differs); start it again from the LMS"
        case .nonceReplayed:
            "the launch was already used once; start it again from the LMS"
        case .unknownDeployment(let id):
            "the deployment '\(id)' is not registered for this platform; an administrator adds it to the registration"
        case .unsupportedMessage(let type):
            "the message '\(type)' is not one this tool accepts (LtiResourceLinkRequest, LtiDeepLinkingRequest)"
        case .unsupportedVersion(let version):
            "the LTI version '\(version)' is not 1.3.0"
        case .missingClaim(let claim):
            "the launch lacks the claim '\(claim)'"
        case .ambiguousPlatform(let issuer):
            "several schools registered the platform '\(issuer)' and the login did not say which (client_id); the LMS's tool settings must send it"
        case .foreignTarget(let target):
            "the login asks to open \(target), which is not a page of this EdControl; check the tool's URLs in the LMS"
        case .unknownLogin:
            "this launch answers no sign-in under way (it took over 10 minutes, or was already used); start it again from the LMS"
        case .stateFromAnotherBrowser:
            "this launch answers a sign-in another browser started; start it again from the LMS in this browser"
        case .platformMismatch:
            "the launch comes from another platform than the sign-in went to; start it again from the LMS"
        case .teacherViewOff:
            "your school has not opened EdControl to teachers; its administrator can switch the teacher view on"
        case .noAccess(let roles):
            "your roles in the LMS (\(roles.isEmpty ? "none" : roles.map { $0.split(separator: "#").last.map(String.init) ?? $0 }.joined(separator: ", "))) give no access to EdControl; the school's administrator decides which LMS roles do"
        }
    }
}
