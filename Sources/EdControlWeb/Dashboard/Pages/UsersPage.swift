import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/users` (admins): the school's dashboard users — add one, change a role, give a new
/// password, remove one — and its API tokens — make one, see when each was last used and
/// when it expires, revoke one. New passwords and tokens are made here and shown once;
/// every change is audited, and a role change or a new password signs the user out everywhere.
struct UsersPage {
    let store: any AccessStore & AuditStore & TranscriptStore
    let pages: PageRenderer

    struct Row {
        var id: String
        var email: String
        var name: String
        var roles: [Option]
        var created: String
        var isYou: Bool
    }

    struct Option { var value: String; var label: String; var selected: Bool }

    struct TokenRow {
        var id: String
        var name: String
        var role: String
        var created: String
        var expires: String
        var expired: Bool
        var lastUsed: String
    }

    struct Model {
        var users: [Row]
        var roles: [Option]
        /// What the last change did, e.g. the new password to pass on.
        var notice: String?
        var password: String?
        var error: String?
        /// The school's settings (transcription), which admins change here.
        var transcriptions: [Option]
        var tokens: [TokenRow]
        var expiries: [Option]
        /// A token just made, shown once.
        var secret: String?
    }

    struct SettingsForm: Decodable { var transcription: String }

    struct NewUser: Decodable { var email: String; var name: String?; var role: String }
    struct RoleForm: Decodable { var role: String }
    struct NewToken: Decodable { var name: String; var role: String; var days: String? }

    func add(to router: Router<APIContext>) {
        router.get("users") { request, context in try await page(request, context) }
        router.post("users") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            guard let form: NewUser = try await PageRenderer.form(request), let role = Role(rawValue: form.role), Role.assignable.contains(role) else {
                return try await page(request, context, error: t["users_invalid"], status: .badRequest)
            }
            let password = UserAccounts.randomPassword()
            do {
                let user = try await UserAccounts.create(in: store, schoolID: caller.schoolID, email: form.email, name: form.name ?? "",
                                                         role: role, password: password, by: caller.tokenName)
                return try await page(request, context, notice: t.format("users_created", user.email), password: password)
            } catch let refusal as UserAccounts.Refusal {
                return try await page(request, context, error: refusal.description, status: .unprocessableContent)
            }
        }
        router.post("settings") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            guard let form: SettingsForm = try await PageRenderer.form(request), let choice = TranscriptionChoice(rawValue: form.transcription) else {
                return try await page(request, context, error: t["users_invalid"], status: .badRequest)
            }
            try await store.setTranscriptionChoice(choice, schoolID: caller.schoolID)
            try await store.audit(caller, "settings.update", "school", detail: "transcription \(choice)")
            return try await page(request, context, notice: t["settings_title"] + ": " + t["settings_transcription"] + " — " + t.transcriptionName(choice.rawValue))
        }
        router.post("tokens") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            guard let form: NewToken = try await PageRenderer.form(request), let role = Role(rawValue: form.role), Role.assignable.contains(role) else {
                return try await page(request, context, error: t["tokens_invalid"], status: .badRequest)
            }
            do {
                let (secret, token) = try await APITokens.create(in: store, schoolID: caller.schoolID, name: form.name, role: role,
                                                                 expiresInDays: form.days.flatMap { Int($0) }, by: caller.tokenName)
                return try await page(request, context, notice: t.format("tokens_created", token.name), secret: secret)
            } catch let refusal as APITokens.Refusal {
                return try await page(request, context, error: refusal.description, status: .unprocessableContent)
            }
        }
        router.post("tokens/:token/revoke") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let id = try context.parameters.require("token")
            guard let token = try await APITokens.revoke(in: store, id: id, schoolID: caller.schoolID, by: caller.tokenName) else {
                throw HTTPError(.notFound, message: "there is no token \(id) in your school")
            }
            return try await page(request, context, notice: pages.text(for: request).format("tokens_revoked", token.name))
        }
        router.post("users/:user/role") { request, context in
            let (caller, user) = try await target(request, context)
            let t = pages.text(for: request)
            guard let form: RoleForm = try await PageRenderer.form(request), let role = Role(rawValue: form.role), Role.assignable.contains(role) else {
                return try await page(request, context, error: t["users_invalid"], status: .badRequest)
            }
            do {
                _ = try await store.setRole(userID: user.id, schoolID: caller.schoolID, role: role)
            } catch let conflict as StoreConflict {
                return try await page(request, context, error: conflict.message, status: .conflict)
            }
            try await store.audit(caller, "user.role", "user \(user.id)", detail: "\(user.role.rawValue) → \(role.rawValue)")
            return try await page(request, context, notice: t.format("users_role_changed", user.email, t["role_name_\(role.rawValue)"]))
        }
        router.post("users/:user/password") { request, context in
            let (caller, user) = try await target(request, context)
            let password = UserAccounts.randomPassword()
            try await UserAccounts.setPassword(in: store, user: user, password: password, by: caller.tokenName)
            return try await page(request, context, notice: pages.text(for: request).format("users_password_set", user.email), password: password)
        }
        router.post("users/:user/delete") { request, context in
            let (caller, user) = try await target(request, context)
            do {
                _ = try await store.deleteUser(id: user.id, schoolID: caller.schoolID)
            } catch let conflict as StoreConflict {
                return try await page(request, context, error: conflict.message, status: .conflict)
            }
            try await store.audit(caller, "user.delete", "user \(user.id)", detail: user.email)
            return try await page(request, context, notice: pages.text(for: request).format("users_removed", user.email))
        }
    }

    /// The admin, and the user of their school the request is about (404 for another school's).
    private func target(_ request: Request, _ context: APIContext) async throws -> (Principal, User) {
        let caller = try PageRenderer.signedIn(request, context, role: .admin)
        let id = try context.parameters.require("user")
        guard let user = try await store.users(schoolID: caller.schoolID).first(where: { $0.id == id }) else {
            throw HTTPError(.notFound, message: "there is no user \(id) in your school")
        }
        return (caller, user)
    }


    private func page(_ request: Request, _ context: APIContext, notice: String? = nil, password: String? = nil, secret: String? = nil,
                      error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .admin)
        let t = pages.text(for: request)
        func roles(_ selected: Role?) -> [Option] {
            // A teacher (from the LMS) keeps that role until another is chosen; none becomes one here.
            ((selected == .teacher ? [.teacher] : []) + Role.assignable).reversed().map {
                Option(value: $0.rawValue, label: t["role_name_\($0.rawValue)"], selected: $0 == selected)
            }
        }
        let users = try await store.users(schoolID: caller.schoolID).map { user in
            Row(id: user.id, email: user.email, name: user.name, roles: roles(user.role), created: t.date(user.createdAt), isYou: user.id == caller.tokenID)
        }
        let transcription = try await store.transcriptionChoice(schoolID: caller.schoolID)
        let choices = (TranscriptionChoice.offered + (TranscriptionChoice.offered.contains(transcription.rawValue) ? [] : [transcription.rawValue]))
            .map { Option(value: $0, label: t.transcriptionName($0), selected: $0 == transcription.rawValue) }
        let tokens = try await store.tokens(schoolID: caller.schoolID).map { token in
            TokenRow(id: token.id, name: token.name, role: t["role_name_\(token.role.rawValue)"], created: t.date(token.createdAt),
                     expires: token.expiresAt.map(t.date) ?? t["tokens_never"], expired: token.isExpired(),
                     lastUsed: token.lastUsedAt.map(t.date) ?? t["tokens_unused"])
        }
        let expiries = [Option(value: "", label: t["tokens_never"], selected: false)]
            + [30, 90, 365].map { Option(value: String($0), label: t.format("tokens_days", $0), selected: $0 == 365) }
        let model = Model(users: users, roles: roles(.viewer), notice: notice, password: password, error: error, transcriptions: choices,
                          tokens: tokens, expiries: expiries, secret: secret)
        var response = pages.render("users", title: t["users_title"], model: model, request: request, context: context, status: status)
        response.headers[.cacheControl] = "no-store"  // a new password or token is on it
        return response
    }
}
