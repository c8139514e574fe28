import EdControlStorage
import Foundation
import Hummingbird
import HummingbirdAuth
import HTTPTypes
import NIOCore

/// Per-request state: Hummingbird's core context and who is calling.
public struct APIContext: AuthRequestContext, RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Principal?
    /// The connected peer (sign-in throttling counts failures per address).
    public let remoteAddress: SocketAddress?
    /// Set when the caller signed in to the dashboard (a session cookie rather than a
    /// token): the token its pages and scripts must send back with every change.
    public var csrfToken: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
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
        // /metrics takes the installation's metrics token, not a school's (OperationsRoutes).
        guard request.uri.path != "/metrics" else { return nil }
        guard let token = Self.bearerToken(request.headers[.authorization]) else { return nil }
        guard let principal = try await store.principal(forToken: token) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""],
                            message: "this API token is not valid (mistyped, or deleted); ask your administrator for a new one")
        }
        return principal
    }

    /// The token of an `Authorization: Bearer <token>` header. The scheme's name is
    /// case-insensitive (RFC 9110 §11.1), which HummingbirdAuth's `bearer` does not allow for.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
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
        } catch let error as Unreachable {
            // A part of the installation on another machine is away: 503 with Retry-After,
            // which clients and proxies take as "try again", the details in the server's log.
            context.logger.warning("request failed: a server is away", metadata: ["error": "\(error)"])
            throw HTTPError(.serviceUnavailable, headers: [.requestID: context.id, .retryAfter: "30"],
                            message: "the \(error.part.rawValue) cannot be reached at the moment; nothing of this request was stored: try again shortly")
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
