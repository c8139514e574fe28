import Foundation
import JWTKit

/// The tool's answer to a deep-linking request (LTI Deep Linking 2.0 §4.2): the links the
/// user picked, signed with the tool's key and posted by the browser to the platform's
/// `deep_link_return_url` as the form field `JWT`.
public struct DeepLinkingResponse: JWTPayload, Equatable {
    /// A link the platform adds to the course: opening it launches the tool at `url`.
    public struct ResourceLink: Codable, Sendable, Equatable {
        /// The content-item type of a link that launches the tool.
        public static let typeName = "ltiResourceLink"
        public var type = typeName
        public var title: String
        public var url: String
        public var text: String?

        public init(title: String, url: String, text: String? = nil) {
            self.title = title
            self.url = url
            self.text = text
        }
    }

    /// The tool's client id.
    public var issuer: String
    /// The platform.
    public var audience: String
    public var issuedAt: Date
    public var expires: Date
    public var nonce: String
    public var deploymentID: String
    public var messageType = "LtiDeepLinkingResponse"
    public var version = LTIVocabulary.version
    public var contentItems: [ResourceLink]
    /// The request's `data`, returned as it came.
    public var data: String?

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", audience = "aud", issuedAt = "iat", expires = "exp", nonce
        case deploymentID = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
        case messageType = "https://purl.imsglobal.org/spec/lti/claim/message_type"
        case version = "https://purl.imsglobal.org/spec/lti/claim/version"
        case contentItems = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
        case data = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
    }

    /// The answer to a request from `registration`'s deployment, valid for five minutes.
    public init(to registration: PlatformRegistration, deploymentID: String, items: [ResourceLink], data: String?, now: Date = Date()) {
        issuer = registration.clientID
        audience = registration.issuer
        issuedAt = now
        expires = now.addingTimeInterval(300)
        nonce = UUID().uuidString
        self.deploymentID = deploymentID
        contentItems = items
        self.data = data
    }

    /// The tool signs it; nothing to check here.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
