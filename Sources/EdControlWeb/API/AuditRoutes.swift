import EdControlStorage
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
            let page = try Paging(request, defaultLimit: 100, maxLimit: 1000)
            return AuditPage(items: try await store.auditEvents(schoolID: caller.schoolID, limit: page.limit, offset: page.offset),
                             limit: page.limit, offset: page.offset)
        }
    }
}
