import EdControlStorage
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
    static let pagePolicy = pagePolicy(frameAncestors: [])

    /// The pages' policy, framable by these origins (an LMS showing EdControl) or by none;
    /// forms may post to this server and to `formTargets` (an LMS taking a deep-linking answer).
    static func pagePolicy(frameAncestors origins: [String], formTargets: [String] = []) -> String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
            + "connect-src 'self'; form-action \((["'self'"] + formTargets).joined(separator: " ")); base-uri 'none'; frame-ancestors "
            + (origins.isEmpty ? "'none'" : (["'self'"] + origins).joined(separator: " "))
    }
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

    /// A page an LMS may frame already has its policy (`LMSFrameMiddleware`) and no
    /// X-Frame-Options, which cannot name origins.
    static func add(to headers: inout HTTPFields) {
        let isPage = headers[.contentType]?.hasPrefix("text/html") == true
        if headers[.contentSecurityPolicy] == nil {
            headers[.contentSecurityPolicy] = isPage ? pagePolicy : documentPolicy
            headers[.xFrameOptions] = "DENY"
        }
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

/// Lets the LMS platforms a school registered show its pages in their frames (an LTI launch
/// opens EdControl inside the course page): a signed-in user's pages may be framed by their
/// school's platforms, the launch's own pages by any registered platform (they only sign in
/// or say why not). Everything else keeps `frame-ancestors 'none'`. It runs after sign-in,
/// since whose school it is decides.
struct LMSFrameMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let store: LTIStore

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // A page with a policy of its own (a deep-linking answer, which posts to the LMS) keeps it.
        guard response.headers[.contentType]?.hasPrefix("text/html") == true, response.headers[.contentSecurityPolicy] == nil else { return response }
        let isLaunch = LTIRoutes.launchPaths.contains(request.uri.path)
        guard isLaunch || context.identity != nil else { return response }
        let origins = try await store.frameOrigins(schoolID: isLaunch ? nil : context.identity?.schoolID)
        if !origins.isEmpty {
            response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware.pagePolicy(frameAncestors: origins)
        }
        return response
    }
}
