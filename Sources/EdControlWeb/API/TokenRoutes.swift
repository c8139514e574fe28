import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/tokens` (admins): the school's API tokens, never with their secrets; a new one's
/// secret is in the answer that makes it, once.
struct TokenRoutes {
    let store: AccessStore & AuditStore

    struct NewToken: Decodable {
        var name: String
        var role: Role
        /// nil: valid until revoked.
        var expiresInDays: Int?
    }

    /// A token as the API shows it.
    struct TokenView: ResponseEncodable {
        var id: String
        var name: String
        var role: Role
        var createdAt: Date
        var expiresAt: Date?
        var lastUsedAt: Date?
        var expired: Bool

        init(_ token: APIToken) {
            id = token.id
            name = token.name
            role = token.role
            createdAt = token.createdAt
            expiresAt = token.expiresAt
            lastUsedAt = token.lastUsedAt
            expired = token.isExpired()
        }
    }

    struct CreatedToken: ResponseEncodable {
        var token: TokenView
        /// Shown once: only its hash is kept.
        var secret: String
    }

    struct TokenList: ResponseEncodable { var items: [TokenView] }

    func add(to api: RouterGroup<APIContext>) {
        let tokens = api.group("tokens")
        tokens.get { _, context in
            TokenList(items: try await store.tokens(schoolID: try context.require(.admin).schoolID).map(TokenView.init))
        }
        tokens.post { request, context -> EditedResponse<CreatedToken> in
            let caller = try context.require(.admin)
            let body = try await request.decode(as: NewToken.self, context: context)
            do {
                let (secret, token) = try await APITokens.create(in: store, schoolID: caller.schoolID, name: body.name, role: body.role,
                                                                 expiresInDays: body.expiresInDays, by: caller.tokenName)
                return EditedResponse(status: .created, headers: [.location: "/api/v1/tokens/\(token.id)", .cacheControl: "no-store"],
                                      response: CreatedToken(token: TokenView(token), secret: secret))
            } catch let refusal as APITokens.Refusal {
                throw HTTPError(.badRequest, message: refusal.description)
            }
        }
        tokens.delete(":token") { _, context -> Response in
            let caller = try context.require(.admin)
            let id = try context.parameters.require("token")
            guard try await APITokens.revoke(in: store, id: id, schoolID: caller.schoolID, by: caller.tokenName) != nil else {
                throw HTTPError(.notFound, message: "there is no token \(id) in your school")
            }
            return Response(status: .noContent)
        }
    }
}
