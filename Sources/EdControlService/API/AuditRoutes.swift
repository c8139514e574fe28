import Foundation
import Hummingbird

/// `/api/v1/audit` (admins): who read, changed or deleted what in the school.
struct AuditRoutes {
    let store: AuditStore

    struct AuditPage: ResponseEncodable {
        var items: [AuditEvent]
        var limit: Int
        var offset: Int
    }

    func add(to api: RouterGroup<APIContext>) {
        api.get("audit") { request, context -> AuditPage in
            let caller = try context.require(.admin)
            let limit = try LessonRoutes.integer(request.uri.queryParameters["limit"], name: "limit", default: 100, range: 1...1000)
            let offset = try LessonRoutes.integer(request.uri.queryParameters["offset"], name: "offset", default: 0, range: 0...Int.max)
            return AuditPage(items: try await store.auditEvents(schoolID: caller.schoolID, limit: limit, offset: offset), limit: limit, offset: offset)
        }
    }
}
