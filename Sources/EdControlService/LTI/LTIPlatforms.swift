import EdControlStorage
import Foundation

/// A school's LMS platforms: registered by the operator (command line) or the school's
/// admins, each change in the audit log.
public enum LTIPlatforms {
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// What an admin gives to register a platform (the LMS shows these on its tool page).
    public struct Details: Sendable {
        public var issuer: String
        public var clientID: String
        public var deploymentIDs: [String]
        public var authorizationURL: String
        public var tokenURL: String
        public var keysURL: String
        public var frameOrigins: [String]?

        public init(issuer: String, clientID: String, deploymentIDs: [String], authorizationURL: String, tokenURL: String, keysURL: String,
                    frameOrigins: [String]? = nil) {
            self.issuer = issuer
            self.clientID = clientID
            self.deploymentIDs = deploymentIDs
            self.authorizationURL = authorizationURL
            self.tokenURL = tokenURL
            self.keysURL = keysURL
            self.frameOrigins = frameOrigins
        }
    }

    public static func add(in store: LTIStore & AuditStore, schoolID: String, _ details: Details, by actor: String) async throws -> LTIPlatform {
        func url(_ text: String, _ what: String) throws -> URL {
            guard LTIPlatform.origin(text) != nil, let url = URL(string: text.trimmingCharacters(in: .whitespaces)) else {
                throw Refusal(description: "the \(what) must be an http or https URL, as the LMS's tool settings show it; got '\(text)'")
            }
            return url
        }
        let issuer = details.issuer.trimmingCharacters(in: .whitespaces)
        _ = try url(issuer, "issuer")
        let clientID = details.clientID.trimmingCharacters(in: .whitespaces)
        guard !clientID.isEmpty, clientID.count <= 255 else { throw Refusal(description: "the client id must be 1–255 characters, as the LMS gave it") }
        let deployments = details.deploymentIDs.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !deployments.isEmpty, deployments.allSatisfy({ $0.count <= 255 }) else {
            throw Refusal(description: "at least one deployment id is needed (the LMS shows it once the tool is deployed)")
        }
        let origins = try details.frameOrigins.map { list in
            try list.map { text in
                guard let origin = LTIPlatform.origin(text) else { throw Refusal(description: "'\(text)' is not an http or https origin such as https://school.instructure.com") }
                return origin
            }
        }
        let platform = LTIPlatform(schoolID: schoolID, issuer: issuer, clientID: clientID, deploymentIDs: deployments,
                                   authorizationURL: try url(details.authorizationURL, "authorization (OIDC auth) URL"),
                                   tokenURL: try url(details.tokenURL, "token URL"), keysURL: try url(details.keysURL, "key set (JWKS) URL"),
                                   frameOrigins: origins)
        do {
            _ = try await store.addPlatform(platform)
        } catch let conflict as StoreConflict {
            throw Refusal(description: conflict.message)
        }
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "lti.platform_add", target: "platform \(platform.id)",
                                          detail: "\(issuer) client \(clientID), deployments \(deployments.joined(separator: ", "))"))
        return platform
    }

    /// Removes a platform of the school; nil if it has no such platform. Its launches stop at
    /// once; the users it created stay (their lessons' reviews name them).
    public static func remove(in store: LTIStore & AuditStore, id: String, schoolID: String, by actor: String) async throws -> LTIPlatform? {
        guard let platform = try await store.deletePlatform(id: id, schoolID: schoolID) else { return nil }
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "lti.platform_remove", target: "platform \(platform.id)",
                                          detail: "\(platform.issuer) client \(platform.clientID)"))
        return platform
    }

    /// Opens or closes the school's teacher view (closed: teachers' launches are refused and
    /// their sessions end).
    public static func setTeacherView(_ enabled: Bool, in store: LTIStore & AuditStore, schoolID: String, by actor: String) async throws {
        try await store.setTeacherView(enabled, schoolID: schoolID)
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "school.teacher_view", target: "school \(schoolID)",
                                          detail: enabled ? "on" : "off"))
    }

    /// Replaces the school's table of LMS roles (nil: back to the built-in one); the roles
    /// apply from each user's next launch.
    public static func setRoleMap(_ map: LTIRoleMap?, in store: LTIStore & AuditStore, schoolID: String, by actor: String) async throws {
        try await store.setLTIRoleMap(map, schoolID: schoolID)
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "lti.roles", target: "school \(schoolID)",
                                          detail: map.map { $0.text.replacingOccurrences(of: "\n", with: "; ") } ?? "the built-in table"))
    }
}
