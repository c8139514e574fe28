import Foundation

/// A platform (an LMS) registered with a school: what a launch from it must carry and where
/// its keys and endpoints are.
public struct PlatformRegistration: Codable, Sendable, Equatable {
    /// The school whose users the platform's launches sign in.
    public var school: String
    /// The platform's `iss`.
    public var issuer: String
    /// The id the platform gave this tool (its `aud`).
    public var clientID: String
    /// The deployments of the tool on the platform that may launch it.
    public var deploymentIDs: [String]
    /// Where the OIDC login sends the browser to be authenticated by the platform.
    public var authorizationURL: URL
    /// Where the tool gets access tokens for the platform's services.
    public var tokenURL: URL
    /// The platform's public keys.
    public var keysURL: URL

    public init(school: String, issuer: String, clientID: String, deploymentIDs: [String], authorizationURL: URL, tokenURL: URL, keysURL: URL) {
        self.school = school
        self.issuer = issuer
        self.clientID = clientID
        self.deploymentIDs = deploymentIDs
        self.authorizationURL = authorizationURL
        self.tokenURL = tokenURL
        self.keysURL = keysURL
    }
}
