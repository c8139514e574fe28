/// Values LTI 1.3 (IMS LTI Core 1.3, Deep Linking 2.0) gives its messages. The claims' names
/// are `LaunchClaims.CodingKeys`.
public enum LTIVocabulary {
    /// The only version this tool speaks.
    public static let version = "1.3.0"

    public enum MessageType: String, Sendable, Codable, CaseIterable {
        case resourceLink = "LtiResourceLinkRequest"
        case deepLinking = "LtiDeepLinkingRequest"
    }
}
