import EdControlLTI
import EdControlStorage
import Foundation

/// Imports a course's instructors as the school's teachers through the LMS's Names and Role
/// Provisioning Service: each matched to a teacher by their LMS id, then their email, or
/// made, never twice (`LTIStore.teacher`).
public struct LTICourseTeachers: Sendable {
    let store: any AuditStore & LTIStore & LessonStore
    let requests: LMSRequests
    /// A course of more pages than this is a loop, not a course.
    static let maximumPages = 200

    public init(store: EdControlStore, requests: LMSRequests) {
        self.store = store
        self.requests = requests
    }

    public struct Imported: Sendable, Equatable {
        public var created: Int
        public var matched: Int
        /// Members who are not active instructors.
        public var skipped: Int
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    public func importTeachers(platformID: String, contextID: String, schoolID: String, by actor: String) async throws -> Imported {
        guard let platform = try await store.platform(id: platformID), platform.schoolID == schoolID,
              let course = try await store.courses(schoolID: schoolID).first(where: { $0.platformID == platformID && $0.contextID == contextID }) else {
            throw Refusal(description: "there is no course \(contextID) of that LMS in your school; launch EdControl from the course first")
        }
        guard let first = course.membershipsURL.flatMap(URL.init(string:)) else {
            throw Refusal(description: "the LMS offers no membership service (Names and Role Provisioning) for \(course.title); switch it on in the tool's settings")
        }
        let token: String
        do {
            token = try await accessToken(for: platform)
        } catch {
            throw Refusal(description: "the LMS gave no access token for its membership service (\(error)); check the registration's token URL")
        }
        var imported = Imported(created: 0, matched: 0, skipped: 0)
        var next: URL? = first
        var pages = 0
        while let url = next, pages < Self.maximumPages {
            let answer: LMSRequests.Answer
            do {
                answer = try await requests.send(url, accept: NamesRoleService.mediaType, bearer: token)
            } catch {
                throw Refusal(description: "the LMS's membership service did not answer (\(error))")
            }
            guard let page = try? JSONDecoder().decode(NamesRoleService.Page.self, from: answer.body) else {
                throw Refusal(description: "the LMS's membership service answered something that is not a membership list")
            }
            for member in page.members {
                guard member.isActiveInstructor else { imported.skipped += 1; continue }
                let email = LTILaunches.email(member.email)
                let (_, created) = try await store.teacher(platformID: platform.id, subject: member.userID, schoolID: schoolID,
                                                           name: String((member.displayName ?? email ?? member.userID).prefix(200)), email: email)
                if created { imported.created += 1 } else { imported.matched += 1 }
            }
            next = NamesRoleService.nextPage(in: answer.link)
            pages += 1
        }
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "lti.teachers_import", target: "course \(contextID)",
                                          detail: "\(course.title): \(imported.created) new, \(imported.matched) known, \(imported.skipped) not instructors"))
        return imported
    }

    /// An access token for the membership service: the client-credentials grant with a JWT
    /// assertion signed by the tool's key (LTI Security Framework §4.1).
    private func accessToken(for platform: LTIPlatform) async throws -> String {
        struct Token: Decodable { var access_token: String }
        let assertion = try await LTIToolKeys(store: store).signingKey().sign(ClientAssertion(for: platform.registration))
        let answer = try await requests.send(platform.tokenURL, accept: "application/json", form: [
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
            ("scope", NamesRoleService.scope),
        ])
        return try JSONDecoder().decode(Token.self, from: answer.body).access_token
    }
}
