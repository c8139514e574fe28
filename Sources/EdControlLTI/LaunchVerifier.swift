import ExtrasBase64
import Foundation
import JWTKit

/// Remembers the nonces of launches already taken, so none is taken twice.
public protocol NonceRegistry: Sendable {
    /// Records `nonce` of `issuer`; false if it was recorded before. It may be forgotten after
    /// `expiry`, when a launch carrying it is refused as expired anyway.
    func firstUse(of nonce: String, issuer: String, expiry: Date) async -> Bool
}

/// Checks a platform's `id_token` as the LTI 1.3 security framework (§5.1.3) requires: RS256
/// only, signed by a key of the registered platform's key set, meant for this tool, fresh,
/// answering this browser's login (nonce), used once, from a registered deployment, a message
/// type and version this tool speaks.
public struct LaunchVerifier: Sendable {
    public typealias Registrations = @Sendable (_ issuer: String, _ clientIDs: [String]) async -> PlatformRegistration?

    private let keys: PlatformKeys
    private let nonces: any NonceRegistry
    private let registrations: Registrations
    /// Clock difference allowed between the platform and this server.
    private let leeway: TimeInterval

    public init(keys: PlatformKeys, nonces: any NonceRegistry, leeway: TimeInterval = 60, registrations: @escaping Registrations) {
        self.keys = keys
        self.nonces = nonces
        self.leeway = leeway
        self.registrations = registrations
    }

    /// - Parameter expectedNonce: the nonce this browser's login sent to the platform.
    public func verify(_ idToken: String, expectedNonce: String, now: Date = Date()) async throws(LaunchRefusal) -> (PlatformRegistration, LaunchClaims) {
        let (header, unverified) = try Self.unverifiedParts(of: idToken)
        guard header.alg == "RS256" else { throw .algorithmNotAllowed(header.alg ?? "none") }
        guard let keyID = header.kid else { throw .malformedToken("its header names no key (kid)") }
        let audiences = unverified.aud?.value ?? []
        guard let issuer = unverified.iss, let registration = await registrations(issuer, audiences) else {
            throw .unknownPlatform(issuer: unverified.iss ?? "", clientIDs: audiences)
        }
        let platformKeys = try await keys.keys(at: registration.keysURL, holding: keyID, now: now)
        let claims: LaunchClaims
        do {
            claims = try await platformKeys.verify(idToken, as: LaunchClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch let error as DecodingError {
            throw .malformedClaims(Self.describe(error))
        } catch {
            throw .malformedToken(String(describing: error))
        }

        guard claims.audience.value.contains(registration.clientID) else { throw .wrongAudience("aud is not this tool's client id") }
        if claims.audience.value.count > 1 || claims.authorizedParty != nil {
            guard claims.authorizedParty == registration.clientID else { throw .wrongAudience("azp is not this tool's client id") }
        }
        guard claims.expires.value > now.addingTimeInterval(-leeway) else { throw .expired }
        guard claims.issuedAt.value < now.addingTimeInterval(leeway) else { throw .issuedInTheFuture }
        guard claims.deploymentID.isEmpty == false, registration.deploymentIDs.contains(claims.deploymentID) else {
            throw .unknownDeployment(claims.deploymentID)
        }
        guard let type = LTIVocabulary.MessageType(rawValue: claims.messageType) else { throw .unsupportedMessage(claims.messageType) }
        guard claims.version == LTIVocabulary.version else { throw .unsupportedVersion(claims.version) }
        guard claims.subject?.isEmpty == false else { throw .missingClaim("sub") }
        guard claims.roles != nil else { throw .missingClaim(LaunchClaims.CodingKeys.roles.rawValue) }
        switch type {
        case .resourceLink where claims.resourceLink == nil: throw .missingClaim(LaunchClaims.CodingKeys.resourceLink.rawValue)
        case .deepLinking where claims.deepLinkingSettings == nil: throw .missingClaim(LaunchClaims.CodingKeys.deepLinkingSettings.rawValue)
        default: break
        }
        // The nonce last: a launch refused for another reason does not use it up.
        guard claims.nonce == expectedNonce else { throw .nonceMismatch }
        guard await nonces.firstUse(of: claims.nonce, issuer: claims.issuer, expiry: claims.expires.value.addingTimeInterval(leeway)) else {
            throw .nonceReplayed
        }
        return (registration, claims)
    }

    /// The header and the claims that find the registration, read before the signature is
    /// checked (JWTKit has no public call that reads a header alone).
    static func unverifiedParts(of token: String) throws(LaunchRefusal) -> (JWTHeader, (iss: String?, aud: AudienceClaim?)) {
        struct Addressing: Decodable { var iss: String?; var aud: AudienceClaim? }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedToken("it has \(parts.count) parts, not 3") }
        func json<T: Decodable>(_ part: Substring, as type: T.Type) throws(LaunchRefusal) -> T {
            guard let bytes = try? String(part).base64decoded(options: [.base64UrlAlphabet, .omitPaddingCharacter]),
                  let value = try? JSONDecoder().decode(T.self, from: Data(bytes)) else {
                throw .malformedToken("a part is not base64url-encoded JSON")
            }
            return value
        }
        let addressing = try json(parts[1], as: Addressing.self)
        return (try json(parts[0], as: JWTHeader.self), (addressing.iss, addressing.aud))
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "no \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        @unknown default: String(describing: error)
        }
    }
}
