import Foundation
import Hummingbird
import HummingbirdAuth
import HTTPTypes

/// Per-request state: Hummingbird's core context and who is calling.
public struct APIContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Principal?
    /// Set when the caller signed in to the dashboard (a session cookie rather than a
    /// token): the token its pages and scripts must send back with every change.
    public var csrfToken: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        csrfToken = nil
    }

    /// Dates as ISO 8601 and keys sorted, so responses read and diff well.
    public var responseEncoder: JSONEncoder { .api }

    /// The caller, if their token's role is at least `role`: 401 without a valid token,
    /// 403 with one whose role is too low.
    public func require(_ role: Role) throws -> Principal {
        guard let identity else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                            message: "an API token is required: send it as 'Authorization: Bearer <token>' (create one with `edcontrol token create`), or sign in to the dashboard")
        }
        guard identity.role >= role else {
            throw HTTPError(.forbidden, message: "this needs the \(role.rawValue) role; you have the \(identity.role.rawValue) role")
        }
        return identity
    }
}

/// Finds the caller from an `Authorization: Bearer` token. An unknown token is refused at
/// once rather than treated as anonymous.
struct TokenAuthenticator: AuthenticatorMiddleware {
    typealias Context = APIContext
    let store: AccessStore

    func authenticate(request: Request, context: APIContext) async throws -> Principal? {
        guard let bearer = request.headers.bearer else { return nil }
        guard let principal = try await store.principal(forToken: bearer.token) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""],
                            message: "this API token is not valid (mistyped, or deleted); ask your administrator for a new one")
        }
        return principal
    }
}

/// Puts the request id on every response, and turns an unexpected error into a logged
/// 500 that names the request id (the details stay in the server's log).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.id
            return response
        } catch var error as HTTPError {
            error.headers[.requestID] = context.id
            throw error
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            throw HTTPError(.internalServerError, headers: [.requestID: context.id],
                            message: "internal error; the server's log has the details under request id \(context.id)")
        }
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
}
