import Foundation
import JWTKit

/// What a platform's `id_token` says about a launch: the OpenID Connect claims and LTI's own.
/// Decoding checks only their shapes; `LaunchVerifier` checks what they say, so each refusal
/// can name the claim that is wrong.
public struct LaunchClaims: JWTPayload, Equatable {
    public var issuer: String
    /// The platform's id of the user; a launch without one (anonymous) is refused.
    public var subject: String?
    public var audience: AudienceClaim
    public var authorizedParty: String?
    public var expires: ExpirationClaim
    public var issuedAt: IssuedAtClaim
    public var nonce: String
    public var messageType: String
    public var version: String
    public var deploymentID: String
    public var targetLinkURI: String?
    /// Role URIs; a launch without the claim is refused (an empty list is allowed).
    public var roles: [String]?
    public var context: Context?
    public var resourceLink: ResourceLink?
    public var name: String?
    public var givenName: String?
    public var familyName: String?
    public var email: String?
    public var deepLinkingSettings: DeepLinkingSettings?
    public var namesRoleService: NamesRoleService?

    public struct Context: Codable, Sendable, Equatable {
        public var id: String
        public var label: String?
        public var title: String?
    }

    public struct ResourceLink: Codable, Sendable, Equatable {
        public var id: String
        public var title: String?
    }

    public struct DeepLinkingSettings: Codable, Sendable, Equatable {
        public var returnURL: String
        public var acceptTypes: [String]
        public var data: String?

        enum CodingKeys: String, CodingKey {
            case returnURL = "deep_link_return_url", acceptTypes = "accept_types", data
        }
    }

    public struct NamesRoleService: Codable, Sendable, Equatable {
        public var membershipsURL: String

        enum CodingKeys: String, CodingKey { case membershipsURL = "context_memberships_url" }
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", authorizedParty = "azp", expires = "exp", issuedAt = "iat", nonce
        case name, givenName = "given_name", familyName = "family_name", email
        case messageType = "https://purl.imsglobal.org/spec/lti/claim/message_type"
        case version = "https://purl.imsglobal.org/spec/lti/claim/version"
        case deploymentID = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
        case targetLinkURI = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
        case roles = "https://purl.imsglobal.org/spec/lti/claim/roles"
        case context = "https://purl.imsglobal.org/spec/lti/claim/context"
        case resourceLink = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
        case deepLinkingSettings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
        case namesRoleService = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
    }

    /// `LaunchVerifier` checks the claims after the signature, against the registration.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
