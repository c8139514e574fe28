import EdControlEngine
import EdControlReports
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird
import Mustache

/// The web pages managers use: server-rendered HTML (Mustache templates in Templates/,
/// interface text in Text/, a little plain script in Static/), for the same users, roles
/// and schools as the API, working offline.
struct Dashboard {
    let store: EdControlStore
    let files: any LessonFiles
    let pages: PageRenderer
    let reports: ReportCache
    let lessons: LessonService
    let models: ModelRegistry
    /// Calls to the schools' LMSs (importing a course's teachers, registering).
    let lmsRequests: LMSRequests
    /// `serve --public-url`, which the LMS page gives LMSs.
    let publicURL: URL?

    func add(to router: Router<APIContext>) {
        router.get("/") { _, _ in Response.redirect(to: "/lessons", type: .found) }
        router.get("static/:file", use: staticFile)
        router.get("favicon.ico") { _, _ in Response.redirect(to: "/static/favicon.svg", type: .permanent) }
        router.get("language/:language") { request, context in
            let language = Language(rawValue: try context.parameters.require("language")) ?? .en
            var response = Response.redirect(to: LocalPath.checked(request.uri.queryParameters["back"]), type: .found)
            response.setCookie(Cookie(name: Language.cookieName, value: language.rawValue, maxAge: 365 * 86400, path: "/", httpOnly: true, sameSite: .lax))
            return response
        }
        SignInPage(store: store, pages: pages).add(to: router)
        LessonsPage(store: store, pages: pages, reports: reports, maxUploadBytes: lessons.limits.maxUploadBytes).add(to: router)
        LessonPage(store: store, files: files, pages: pages, reports: reports, lessons: lessons).add(to: router)
        TeacherPages(store: store, pages: pages, courseTeachers: LTICourseTeachers(store: store, requests: lmsRequests)).add(to: router)
        ReviewsPage(store: store, pages: pages, reports: reports).add(to: router)
        UsersPage(store: store, pages: pages).add(to: router)
        LMSPage(store: store, pages: pages, registration: LTIDynamicRegistration(store: store, requests: lmsRequests), publicURL: publicURL).add(to: router)
        SearchPage(store: store, pages: pages).add(to: router)
        ModelsPage(store: store, models: models, pages: pages).add(to: router)
        ModelHealthPage(monitor: DriftMonitor(store: store), pages: pages).add(to: router)
        PilotPage(reporter: PilotReporter(store: store, files: files), pages: pages).add(to: router)
    }

    /// The stylesheet and scripts; the player script is the one report.html inlines.
    @Sendable func staticFile(_ request: Request, context: APIContext) async throws -> Response {
        let name = try context.parameters.require("file")
        let (body, type): (String?, String) = switch name {
        case "player.js": (ReportCharts.playerScript, "text/javascript")
        case "dashboard.js": (pages.staticFiles[name], "text/javascript")
        case "dashboard.css": (pages.staticFiles[name], "text/css")
        case "favicon.svg": (pages.staticFiles[name], "image/svg+xml")
        default: (nil, "")
        }
        guard let body else { throw HTTPError(.notFound, message: "there is no file \(name)") }
        return Response(status: .ok, headers: [.contentType: type + "; charset=utf-8", .cacheControl: "max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// What every page's layout shows: who is signed in, the navigation, the language switch,
/// and the CSRF token for forms and scripts.
struct PageFrame {
    struct Link { var href: String; var label: String; var current: Bool }

    var lang: String
    var otherLanguage: String
    var otherLanguageName: String
    /// This page's path and query, percent-encoded to come back to after a switch of language.
    var back: String
    var user: String?
    var role: String?
    var csrf: String?
    var nav: [Link]
}

/// Renders the templates with a page's model, in the visitor's language.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let text: [Language: InterfaceText]
    let staticFiles: [String: String]

    /// Loads templates, text and static files from the module's resources.
    init() throws {
        guard let root = Bundle.module.resourceURL else { throw DashboardResourcesMissing() }
        var library = MustacheLibrary()
        let templates = root.appendingPathComponent("Templates")
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) where file.hasSuffix(".mustache") {
            try library.register(String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8), named: String(file.dropLast(".mustache".count)))
        }
        self.library = library
        // English is read once, for the pages and for the service's refusals alike.
        guard !InterfaceText.english.table.isEmpty else { throw DashboardResourcesMissing() }
        var text: [Language: InterfaceText] = [:]
        for language in Language.allCases { text[language] = try InterfaceText.load(language) }
        self.text = text
        var files: [String: String] = [:]
        for name in ["dashboard.css", "dashboard.js", "favicon.svg"] {
            files[name] = try String(contentsOf: root.appendingPathComponent("Static/\(name)"), encoding: .utf8)
        }
        staticFiles = files
    }

    struct DashboardResourcesMissing: Error {}

    func text(for request: Request) -> InterfaceText { text[Language.of(request)]! }

    /// `template` inside the layout, as an HTML response.
    func render(_ template: String, title: String, model: Any, request: Request, context: APIContext, status: HTTPResponse.Status = .ok) -> Response {
        let t = text(for: request)
        let caller = context.identity
        let section = request.uri.path.split(separator: "/").first.map(String.init) ?? ""
        // A teacher's navigation: their lessons and their own page.
        let sections = caller?.ownTeacherID.map { [("lessons", "nav_lessons"), ("teachers/\($0)", "nav_my_page")] }
            ?? [("lessons", "nav_lessons"), ("search", "nav_search"), ("teachers", "nav_teachers"), ("reviews", "nav_reviews")]
            + ((caller?.role ?? .viewer) >= .manager ? [("pilot", "nav_pilot")] : [])
            + (caller?.role == .admin ? [("users", "nav_users"), ("lms", "nav_lms"), ("models", "nav_models"), ("monitoring", "nav_health")] : [])
        let nav = caller == nil ? [] : sections.map {
            PageFrame.Link(href: "/\($0.0)", label: t[$0.1], current: section == $0.0.split(separator: "/").first.map(String.init))
        }
        let frame = PageFrame(lang: t.language.rawValue, otherLanguage: t.language.other.rawValue,
                              otherLanguageName: text[t.language.other]!["language_name"], back: Self.encoded(request.uri.description),
                              user: caller?.tokenName, role: caller.map { t["role_name_\($0.role.rawValue)"] },
                              csrf: context.csrfToken, nav: nav)
        let values = Self.prepared(["t": t.table, "tc": t.withCode, "frame": frame, "title": title, "m": model] as [String: Any])
        let html = library.render(values ?? [:], withTemplate: template) ?? ""
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The page's model as dictionaries and arrays. swift-mustache finds a name in a struct by
    /// reflecting on it (Mirror) at every use, so a 500-row table took 0.13 s to render;
    /// reflecting once per value, here, takes about a millisecond. A nil property is left out,
    /// as swift-mustache's reflection treats it: the name is looked up further out.
    static func prepared(_ value: Any) -> Any? {
        if value is String || value is Int || value is Double || value is Bool { return value }
        if let dictionary = value as? [String: Any] { return dictionary.compactMapValues(prepared) }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct, .class:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label, let value = prepared(child.value) { fields[label] = value }
            }
            return fields
        case .collection, .set:
            return mirror.children.compactMap { prepared($0.value) }
        case .optional:
            return mirror.children.first.flatMap { prepared($0.value) }
        default:
            return value
        }
    }

    /// A page's posted form, nil if it is not one of this shape.
    static func form<T: Decodable>(_ request: Request) async throws -> T? {
        try? URLEncodedFormDecoder().decode(T.self, from: String(buffer: try await request.body.collect(upTo: 64 << 10)))
    }

    /// The caller, or a redirect to the sign-in page that comes back here afterwards.
    static func signedIn(_ request: Request, _ context: APIContext, role: Role = .viewer) throws -> Principal {
        guard context.identity != nil else {
            throw HTTPError(.seeOther, headers: [.location: "/sign-in?next=\(encoded(request.uri.description))"])
        }
        return try context.require(role)
    }

    /// Words for a page's script, as JSON to put inside a `<script type="application/json">`.
    static func scriptJSON(_ words: [String: String]) -> String {
        let json = (try? JSONSerialization.data(withJSONObject: words, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // Inside a <script> element, "</" must not appear.
        return json.replacingOccurrences(of: "</", with: "<\\/")
    }

    /// `path` as one query parameter's value.
    static func encoded(_ path: String) -> String { path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/lessons" }
}

/// Errors on pages become pages (in the visitor's language, with the navigation of a
/// signed-in visitor), not JSON; the API keeps its JSON errors. It wraps the sign-in check
/// too, so a form without its CSRF token gets a page.
struct PageErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let pages: PageRenderer
    let store: AccessStore & LTIStore

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status.code >= 400 && !Self.isAPI(request) {
            let t = pages.text(for: request)
            // The context here is from before the sign-in check: who is signed in is looked up again.
            var context = context
            if let secret = request.cookies[SessionAuthenticator.cookieName]?.value, let (principal, csrf) = try? await store.principal(forSession: secret) {
                context.identity = principal
                context.csrfToken = csrf
            }
            // "Not found" is the page's own sentence: the store's names ids, in English.
            let message = error.status == .notFound ? t["error_not_found_text"] : error.body ?? error.status.reasonPhrase
            let model = ["status": "\(error.status.code)", "message": message,
                         "heading": t[error.status == .notFound ? "error_not_found" : error.status == .forbidden ? "error_forbidden" : "error_heading"]]
            var response = pages.render("error", title: model["heading"]!, model: model, request: request, context: context, status: error.status)
            // Inside the LMS's frame, a signed-in user's error is a page the LMS may show (as LMSFrameMiddleware lets their pages be).
            if let school = context.identity?.schoolID, let origins = try? await store.frameOrigins(schoolID: school), !origins.isEmpty {
                response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware.pagePolicy(frameAncestors: origins)
            }
            return response
        }
    }

    static func isAPI(_ request: Request) -> Bool {
        let path = request.uri.path
        return path.hasPrefix("/api/") || ["/health", "/ready", "/metrics"].contains(path)
    }
}
