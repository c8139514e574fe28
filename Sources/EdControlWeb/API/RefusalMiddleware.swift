import EdControlService
import EdControlStorage
import Hummingbird

/// Answers the service's refusals at the edge: each kind with its HTTP status, its sentence
/// in the caller's language (the dashboard's chosen language, else the request's
/// Accept-Language, else English). The API sends it as JSON, the pages as a page.
struct RefusalMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let pages: PageRenderer

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let refusal as Refusal {
            throw HTTPError(Self.status(of: refusal.kind), message: refusal.sentence(in: pages.text(for: request)))
        } catch let conflict as StoreConflict {
            throw HTTPError(.conflict, message: Refusal(conflict).sentence(in: pages.text(for: request)))
        }
    }

    static func status(of kind: Refusal.Kind) -> HTTPResponse.Status {
        switch kind {
        case .invalid: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .gone: .gone
        case .unsupportedMedia: .unsupportedMediaType
        case .unprocessable: .unprocessableContent
        case .tooLarge: .contentTooLarge
        case .tooSlow: .requestTimeout
        }
    }
}
