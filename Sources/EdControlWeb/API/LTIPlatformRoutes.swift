import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/lti/platforms` and `/api/v1/lti/roles` (admins): the school's LMS platforms and
/// its table of LMS roles, as the LMS page manages them; every change audited.
struct LTIPlatformRoutes {
    let store: any AccessStore & LTIStore & AuditStore

    struct NewPlatform: Decodable {
        var issuer: String
        var clientID: String
        var deploymentIDs: [String]
        var authorizationURL: String
        var tokenURL: String
        var keysURL: String
        var frameOrigins: [String]?
    }

    struct PlatformList: ResponseEncodable { var items: [LTIPlatform] }

    struct RoleTable: ResponseEncodable, Decodable {
        /// nil in a change: back to the built-in table.
        var rules: [LTIRoleMap.Rule]?
        var builtIn: Bool?
    }

    func add(to api: RouterGroup<APIContext>) {
        let platforms = api.group("lti/platforms")
        platforms.get { _, context in
            PlatformList(items: try await store.platforms(schoolID: try context.require(.admin).schoolID))
        }
        platforms.post { request, context -> EditedResponse<LTIPlatform> in
            let caller = try context.require(.admin)
            let body = try await request.decode(as: NewPlatform.self, context: context)
            do {
                let platform = try await LTIPlatforms.add(in: store, schoolID: caller.schoolID, .init(
                    issuer: body.issuer, clientID: body.clientID, deploymentIDs: body.deploymentIDs, authorizationURL: body.authorizationURL,
                    tokenURL: body.tokenURL, keysURL: body.keysURL, frameOrigins: body.frameOrigins), by: caller.tokenName)
                return EditedResponse(status: .created, headers: [.location: "/api/v1/lti/platforms/\(platform.id)"], response: platform)
            } catch let refusal as LTIPlatforms.Refusal {
                throw HTTPError(.badRequest, message: refusal.description)
            }
        }
        platforms.delete(":platform") { _, context -> Response in
            let caller = try context.require(.admin)
            let id = try context.parameters.require("platform")
            guard try await LTIPlatforms.remove(in: store, id: id, schoolID: caller.schoolID, by: caller.tokenName) != nil else {
                throw HTTPError(.notFound, message: "there is no LMS platform \(id) in your school")
            }
            return Response(status: .noContent)
        }
        api.get("lti/roles") { _, context in try await roles(of: try context.require(.admin)) }
        api.put("lti/roles") { request, context -> RoleTable in
            let caller = try context.require(.admin)
            let body = try await request.decode(as: RoleTable.self, context: context)
            do {
                // The rules go through the same checks as the page's text.
                let map = try body.rules.map { try LTIRoleMap(text: LTIRoleMap(rules: $0).text) }
                try await LTIPlatforms.setRoleMap(map, in: store, schoolID: caller.schoolID, by: caller.tokenName)
            } catch let refusal as LTIRoleMap.Refusal {
                throw HTTPError(.badRequest, message: refusal.description)
            }
            return try await roles(of: caller)
        }
    }

    private func roles(of caller: Principal) async throws -> RoleTable {
        let own = try await store.school(id: caller.schoolID)?.ltiRoles
        return RoleTable(rules: (own ?? .defaults).rules, builtIn: own == nil)
    }
}

extension LTIPlatform: ResponseEncodable {}
