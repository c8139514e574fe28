import Hummingbird
import HTTPTypes

/// Headers that tell browsers what the server's answers may do. Pages may load scripts,
/// styles, pictures and media from this server only, may not be framed by another site
/// (so Confirm, Reject or "Analyse again" cannot be clicked through a hidden frame), and
/// no answer — page, JSON, CSV or recording — may be re-interpreted as another type.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = APIContext

    /// Inline `style` attributes are refused too: widths that pages compute are set by
    /// dashboard.js from `data-percent`.
    static let pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
        + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    /// Anything that is not a page (JSON, CSV, media) runs nothing when opened directly.
    static let documentPolicy = "default-src 'none'; media-src 'self'; frame-ancestors 'none'; sandbox"

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            Self.add(to: &response.headers)
            return response
        } catch var error as HTTPError {
            Self.add(to: &error.headers)
            throw error
        }
    }

    static func add(to headers: inout HTTPFields) {
        let isPage = headers[.contentType]?.hasPrefix("text/html") == true
        headers[.contentSecurityPolicy] = isPage ? pagePolicy : documentPolicy
        headers[.xFrameOptions] = "DENY"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "same-origin"
        headers[.crossOriginOpenerPolicy] = "same-origin"
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
}
