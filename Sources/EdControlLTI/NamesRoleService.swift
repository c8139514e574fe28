import Foundation
import JWTKit

/// LTI Names and Role Provisioning Services 2.0: who is in a course, as the platform's
/// membership service lists them. The tool asks with an access token it gets by the OAuth 2
/// client-credentials grant, authenticated by a `ClientAssertion` signed with its key.
public enum NamesRoleService {
    public static let scope = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    public static let mediaType = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    public static let instructor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"

    /// One page of a course's members.
    public struct Page: Decodable, Sendable {
        public var members: [Member]
    }

    public struct Member: Decodable, Sendable, Equatable {
        public var userID: String
        public var roles: [String]
        /// Active or Inactive (a member who left); absent means active.
        public var status: String?
        public var name: String?
        public var givenName: String?
        public var familyName: String?
        public var email: String?

        enum CodingKeys: String, CodingKey {
            case userID = "user_id", roles, status, name, givenName = "given_name", familyName = "family_name", email
        }

        /// An active member teaching the course (bare `Instructor` read as the course role).
        public var isActiveInstructor: Bool {
            (status ?? "Active") == "Active" && roles.contains { $0 == NamesRoleService.instructor || $0 == "Instructor" }
        }

        public var displayName: String? {
            name ?? [givenName, familyName].compactMap { $0 }.joined(separator: " ").nilIfEmpty
        }
    }

    /// The next page's URL of a `Link` header (RFC 8288), if any.
    public static func nextPage(in link: String?) -> URL? {
        guard let link else { return nil }
        for part in link.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.dropFirst().contains(where: { $0.replacingOccurrences(of: "\"", with: "") == "rel=next" }),
                  let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">") else { continue }
            return URL(string: String(target.dropFirst().dropLast()))
        }
        return nil
    }
}

/// The JWT with which the tool authenticates at the platform's token endpoint (LTI Security
/// Framework §4.1.1): issued by and about the tool's client id, for the token endpoint, once.
public struct ClientAssertion: JWTPayload, Equatable {
    public var issuer: String
    public var subject: String
    public var audience: String
    public var issuedAt: Date
    public var expires: Date
    public var id: String

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", issuedAt = "iat", expires = "exp", id = "jti"
    }

    public init(for registration: PlatformRegistration, now: Date = Date()) {
        issuer = registration.clientID
        subject = registration.clientID
        audience = registration.tokenURL.absoluteString
        issuedAt = now
        expires = now.addingTimeInterval(300)
        id = UUID().uuidString
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
