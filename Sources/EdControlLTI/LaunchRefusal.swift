/// Why a launch was refused. `code` goes into the audit log; `description` says what is wrong
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
        }
    }
}
