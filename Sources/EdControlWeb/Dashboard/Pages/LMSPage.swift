import EdControlLTI
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/lms` (admins): the school's LMS platforms (LTI 1.3). Connect one by a registration
/// link (dynamic registration) or by hand, see the tool's URLs to paste into the LMS,
/// remove one, and open or close the teacher view. Every change is audited.
struct LMSPage {
    let store: any AccessStore & LTIStore & AuditStore
    let pages: PageRenderer
    let registration: LTIDynamicRegistration
    let publicURL: URL?

    struct PlatformRow {
        var id: String
        var issuer: String
        var clientID: String
        var deployments: String
        var frames: String
        var added: String
    }

    struct Model {
        var platforms: [PlatformRow]
        var empty: Bool
        var toolURLs: [[String: String]]
        var registrationLink: String?
        var teacherView: Bool
        /// The school's table of LMS roles, as admins write it.
        var roles: String
        var builtInRoles: Bool
        var notice: String?
        var error: String?
    }

    struct ManualForm: Decodable {
        var issuer: String
        var client_id: String
        var deployments: String
        var authorization_url: String
        var token_url: String
        var keys_url: String
    }

    struct TeacherViewForm: Decodable { var state: String }
    struct RolesForm: Decodable { var roles: String?; var builtIn: String? }

    func add(to router: Router<APIContext>) {
        router.get("lms") { request, context in try await page(request, context) }
        router.post("lms/platforms") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            guard let form: ManualForm = try await PageRenderer.form(request) else { return try await page(request, context, error: t["lms_invalid"]) }
            do {
                let platform = try await LTIPlatforms.add(in: store, schoolID: caller.schoolID, .init(
                    issuer: form.issuer, clientID: form.client_id, deploymentIDs: form.deployments.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init),
                    authorizationURL: form.authorization_url, tokenURL: form.token_url, keysURL: form.keys_url), by: caller.tokenName)
                return try await page(request, context, notice: t.format("lms_added", platform.issuer))
            } catch let refusal as LTIPlatforms.Refusal {
                return try await page(request, context, error: refusal.description)
            }
        }
        router.post("lms/platforms/:platform/remove") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            guard let platform = try await LTIPlatforms.remove(in: store, id: try context.parameters.require("platform"), schoolID: caller.schoolID,
                                                                by: caller.tokenName) else {
                throw HTTPError(.notFound, message: "there is no such LMS platform in your school")
            }
            return try await page(request, context, notice: pages.text(for: request).format("lms_removed", platform.issuer))
        }
        router.post("lms/registration-link") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let secret = try await registration.invite(schoolID: caller.schoolID, by: caller.tokenName)
            return try await page(request, context, notice: pages.text(for: request)["lms_link_made"],
                                  link: LTIRoutes.publicBase(publicURL, request).appendingPathComponent("lti/register/\(secret)").absoluteString)
        }
        router.post("lms/roles") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            guard let form: RolesForm = try await PageRenderer.form(request) else { return try await page(request, context, error: t["lms_invalid"]) }
            do {
                try await LTIPlatforms.setRoleMap(form.builtIn != nil ? nil : try LTIRoleMap(text: form.roles ?? ""), in: store, schoolID: caller.schoolID,
                                                  by: caller.tokenName)
                return try await page(request, context, notice: t["lms_roles_saved"])
            } catch let refusal as LTIRoleMap.Refusal {
                return try await page(request, context, error: refusal.description)
            }
        }
        router.post("lms/teacher-view") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            guard let form: TeacherViewForm = try await PageRenderer.form(request) else { return try await page(request, context) }
            try await LTIPlatforms.setTeacherView(form.state == "on", in: store, schoolID: caller.schoolID, by: caller.tokenName)
            return try await page(request, context)
        }
    }


    private func page(_ request: Request, _ context: APIContext, notice: String? = nil, error: String? = nil, link: String? = nil) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .admin)
        let t = pages.text(for: request)
        let platforms = try await store.platforms(schoolID: caller.schoolID).map {
            PlatformRow(id: $0.id, issuer: $0.issuer, clientID: $0.clientID, deployments: $0.deploymentIDs.joined(separator: ", "),
                        frames: $0.frameOrigins.joined(separator: ", "), added: t.date($0.createdAt))
        }
        let base = LTIRoutes.publicBase(publicURL, request)
        let toolURLs = [("lms_url_login", "lti/login"), ("lms_url_launch", "lti/launch"), ("lms_url_keys", "lti/jwks")].map {
            ["label": t[$0.0], "url": base.appendingPathComponent($0.1).absoluteString]
        }
        let school = try await store.school(id: caller.schoolID)
        let model = Model(platforms: platforms, empty: platforms.isEmpty, toolURLs: toolURLs, registrationLink: link,
                          teacherView: school?.teacherView ?? true, roles: (school?.ltiRoles ?? .defaults).text, builtInRoles: school?.ltiRoles == nil,
                          notice: notice, error: error)
        return pages.render("lms", title: t["lms_title"], model: model, request: request, context: context, status: error == nil ? .ok : .unprocessableContent)
    }
}
