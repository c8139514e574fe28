import Foundation

/// LTI Dynamic Registration 1.0: the platform opens the tool's registration page with the
/// URL of its OpenID configuration; the tool reads it, posts its own configuration to the
/// platform's registration endpoint and gets its client id (and deployment) back.
public enum DynamicRegistration {
    /// What the tool reads of the platform's OpenID configuration (§3.4).
    public struct PlatformConfiguration: Decodable, Sendable, Equatable {
        public var issuer: String
        public var authorizationEndpoint: URL
        public var tokenEndpoint: URL
        public var keysURL: URL
        public var registrationEndpoint: URL
        public var platform: Platform?

        public struct Platform: Decodable, Sendable, Equatable {
            public var productFamilyCode: String?
            public var version: String?

            enum CodingKeys: String, CodingKey { case productFamilyCode = "product_family_code", version }
        }

        enum CodingKeys: String, CodingKey {
            case issuer, authorizationEndpoint = "authorization_endpoint", tokenEndpoint = "token_endpoint", keysURL = "jwks_uri"
            case registrationEndpoint = "registration_endpoint"
            case platform = "https://purl.imsglobal.org/spec/lti-platform-configuration"
        }

        /// The configuration must be the issuer's own (§3.5.1): its URL starts with the issuer.
        public func isServed(from url: URL) -> Bool {
            url.absoluteString.hasPrefix(issuer.hasSuffix("/") ? issuer : issuer + "/") || url.absoluteString == issuer
        }
    }

    /// The tool's registration request (§3.6), for a tool served at `base`.
    public static func request(base: URL, name: String, description: String) -> [String: Any] {
        let launch = base.appendingPathComponent("lti/launch").absoluteString
        return [
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": base.appendingPathComponent("lti/login").absoluteString,
            "redirect_uris": [launch],
            "client_name": name,
            "jwks_uri": base.appendingPathComponent("lti/jwks").absoluteString,
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": NamesRoleService.scope,
            "https://purl.imsglobal.org/spec/lti-tool-configuration": [
                "domain": base.host.map { host in base.port.map { "\(host):\($0)" } ?? host } ?? "",
                "target_link_uri": launch,
                "description": description,
                "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
                "messages": [
                    ["type": LTIVocabulary.MessageType.resourceLink.rawValue, "target_link_uri": launch, "label": name],
                    ["type": LTIVocabulary.MessageType.deepLinking.rawValue, "target_link_uri": launch, "label": name],
                ],
            ] as [String: Any],
        ]
    }

    /// What the tool keeps of the platform's answer (§3.6.2).
    public struct Response: Decodable, Sendable, Equatable {
        public var clientID: String
        public var deploymentID: String?

        struct ToolConfiguration: Decodable { var deployment_id: String? }

        enum CodingKeys: String, CodingKey {
            case clientID = "client_id", toolConfiguration = "https://purl.imsglobal.org/spec/lti-tool-configuration"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            clientID = try container.decode(String.self, forKey: .clientID)
            deploymentID = try container.decodeIfPresent(ToolConfiguration.self, forKey: .toolConfiguration)?.deployment_id
        }
    }
}
