import EdControlLTI
import EdControlStorage
import Foundation

/// Deep linking: after an LMS's deep-linking launch, its user picks what the course's new
/// link opens — the lessons, a teacher's page or a lesson, among what they may see — and the
/// tool answers the LMS with a signed `LtiDeepLinkingResponse`.
public struct LTIDeepLinking: Sendable {
    let store: any AuditStore & LTIStore & LessonStore

    public init(store: EdControlStore) {
        self.store = store
    }

    /// Something a link can open: a dashboard path and what to call it.
    public struct Choice: Sendable, Equatable {
        public enum Kind: String, Sendable { case lessons, teacher, lesson }
        public var kind: Kind
        public var path: String
        public var name: String
    }

    /// The newest lessons offered; older ones are reached from the lessons or a teacher's page.
    static let lessonChoices = 50

    /// What `caller` may link to: the lessons, the teachers' pages and the newest lessons (a
    /// teacher: their own).
    public func choices(for caller: Principal) async throws -> [Choice] {
        let teachers = try await store.teachers(of: caller)
        var query = LessonQuery()
        query.restrict(to: caller)
        query.limit = Self.lessonChoices
        let lessons = try await store.lessons(schoolID: caller.schoolID, matching: query).items.map(\.lesson)
        return [Choice(kind: .lessons, path: "/lessons", name: "")]
            + teachers.sorted { $0.name.localizedCompare($1.name) == .orderedAscending }.map { Choice(kind: .teacher, path: "/teachers/\($0.id)", name: $0.name) }
            + lessons.map { Choice(kind: .lesson, path: "/lessons/\($0.id)", name: $0.title) }
    }

    /// The caller's request, or nil if it expired, was answered or is another user's.
    public func request(_ id: String, of caller: Principal) async throws -> LTIDeepLinkRequest? {
        try await store.deepLinkRequest(id: id, userID: caller.tokenID)
    }

    /// The signed answer linking to `path` (one of the caller's choices), at `base`, the link
    /// called what `title` says of the choice; the request is used up. Nil if the request is
    /// gone or the path not a choice.
    public func answer(_ id: String, path: String, base: URL, by caller: Principal,
                       title: (Choice) -> String) async throws -> (returnURL: String, jwt: String)? {
        guard let request = try await request(id, of: caller), let choice = try await choices(for: caller).first(where: { $0.path == path }),
              let platform = try await store.platform(id: request.platformID), try await store.deleteDeepLinkRequest(id: id) else { return nil }
        let title = title(choice)
        let link = DeepLinkingResponse.ResourceLink(title: title, url: base.absoluteString + path)
        let response = DeepLinkingResponse(to: platform.registration, deploymentID: request.deploymentID, items: [link], data: request.data)
        let jwt = try await LTIToolKeys(store: store).signingKey().sign(response)
        try await store.audit(caller, "lti.deep_link", "platform \(platform.id)", detail: "\(title) → \(path)")
        return (request.returnURL, jwt)
    }
}
