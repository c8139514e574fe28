@testable import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
@testable import EdControlService
@testable import EdControlWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

/// An admin manages the school's users from the dashboard, through the server's router over
/// a real store on both backends, with real sessions and CSRF tokens.
@Suite("User administration")
struct UserAdministrationTests {
    private struct Browser {
        let client: any TestClientProtocol
        var cookie = ""
        var csrf = ""

        /// Signs in; false if the password was refused.
        mutating func signIn(_ email: String, _ password: String) async throws -> Bool {
            let reply = try await client.execute(uri: "/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "email=\(email)&password=\(password)"))
            guard reply.status == .seeOther, let set = reply.headers[.setCookie] else { return false }
            cookie = String(set.split(separator: ";")[0])
            let page = try await get("/users")
            csrf = page.range(of: #"name="csrf-token" content="[0-9a-f]+""#, options: .regularExpression)
                .map { String(page[$0].dropFirst(#"name="csrf-token" content=""#.count).dropLast()) } ?? ""
            return true
        }

        func get(_ uri: String) async throws -> String {
            String(buffer: try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]).body)
        }

        /// Posts a form with the session's CSRF token (or without it).
        func post(_ uri: String, _ fields: String, csrf send: Bool = true) async throws -> TestResponse {
            try await client.execute(uri: uri, method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: fields + (send ? "&csrf=\(csrf)" : "")))
        }
    }

    @Test(arguments: TestBackend.allCases) func anAdminAddsUsersChangesRolesGivesPasswordsAndKeepsAnAdmin(_ backend: TestBackend) async throws {
        let (data, store, files) = try await backend.open("users")
        let admin = try await UserAccounts.create(in: store, school: "School A", email: "head@school.test", name: "Head", role: .admin, password: "a good admin password")
        let server = EdControlServer(settings: .init(), data: data, store: store, files: files, models: try Fixtures.registry(), prometheus: PrometheusCollectorRegistry())
        try await Application(router: try server.router()).test(.router) { client in
            var head = Browser(client: client)
            #expect(try await head.signIn("head@school.test", "a+good+admin+password"))
            #expect(try await head.get("/lessons").contains("href=\"/users\""), "admins see Users in the navigation")

            // A new manager: the password is made and shown once, and works.
            let added = try await head.post("/users", "email=Teacher.One%40school.test&name=Olga&role=manager")
            let page = String(buffer: added.body)
            #expect(added.status == .ok && page.contains("teacher.one@school.test can now sign in"), "\(added.status)")
            let password = try #require(page.firstMatch(of: /id="new-password">([A-Za-z0-9]{16})</)?.1).description
            #expect(added.headers[.cacheControl] == "no-store")
            var olga = Browser(client: client)
            #expect(try await olga.signIn("teacher.one@school.test", password))
            #expect(try await olga.get("/lessons").contains("href=\"/users\"") == false, "managers do not manage users")
            #expect(try await olga.post("/users", "email=x%40y.z&role=admin").status == .forbidden)
            let duplicate = try await head.post("/users", "email=teacher.one%40school.test&role=viewer")
            #expect(duplicate.status == .unprocessableContent && String(buffer: duplicate.body).contains("already a user"))

            // A form without its CSRF token is refused with a page, not raw JSON.
            let forged = try await head.post("/users", "email=evil%40x.y&role=admin", csrf: false)
            #expect(forged.status == .forbidden && forged.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(try await store.users(email: "evil@x.y").isEmpty)

            // Roles: the only admin cannot step down or be removed; with a second admin they can.
            let olgaID = try #require(try await store.users(email: "teacher.one@school.test").first?.id)
            let alone = try await head.post("/users/\(admin.id)/role", "role=viewer")
            #expect(alone.status == .conflict && String(buffer: alone.body).contains("only admin"))
            #expect(try await head.post("/users/\(olgaID)/role", "role=admin").status == .ok)
            #expect(try await client.execute(uri: "/lessons", method: .get, headers: [.cookie: olga.cookie]).status == .seeOther,
                    "a role change signs the user out (to the sign-in page)")
            #expect(try await store.users(email: "teacher.one@school.test").first?.role == .admin)

            // A new password replaces the old one.
            let renewed = String(buffer: try await head.post("/users/\(olgaID)/password", "").body)
            let second = try #require(renewed.firstMatch(of: /id="new-password">([A-Za-z0-9]{16})</)?.1).description
            #expect(try await olga.signIn("teacher.one@school.test", password) == false)
            #expect(try await olga.signIn("teacher.one@school.test", second))

            // Removed: they cannot sign in; everything is in the audit log.
            #expect(try await head.post("/users/\(olgaID)/delete", "").status == .ok)
            #expect(try await olga.signIn("teacher.one@school.test", second) == false)
            let actions = try await store.auditEvents(schoolID: admin.schoolID, limit: 50, offset: 0).map(\.action)
            for action in ["user.create", "user.role", "user.password", "user.delete"] { #expect(actions.contains(action), "\(action) audited") }
            #expect(try await head.post("/users/nobody/delete", "").status == .notFound)
            #expect(try await client.execute(uri: "/favicon.ico", method: .get).headers[.location] == "/static/favicon.svg")
        }
    }

    /// A user made by an LMS launch has no password (the column holds `User.noPassword`):
    /// no password signs them in, the marker itself included, until an admin gives them one.
    @Test(arguments: TestBackend.allCases) func aUserLaunchedFromTheLMSHasNoPasswordUntilGivenOne(_ backend: TestBackend) async throws {
        let (data, store, files) = try await backend.open("users")
        let admin = try await UserAccounts.create(in: store, school: "School A", email: "head@school.test", name: "Head", role: .admin, password: "a good admin password")
        let launched = try await store.createUser(schoolID: admin.schoolID, email: "cleo@school.test", name: "Cleo", role: .manager, passwordHash: User.noPassword)
        let server = EdControlServer(settings: .init(), data: data, store: store, files: files, models: try Fixtures.registry(), prometheus: PrometheusCollectorRegistry())
        try await Application(router: try server.router()).test(.router) { client in
            var cleo = Browser(client: client)
            for guess in ["%21", "", "x"] { #expect(try await cleo.signIn("cleo@school.test", guess) == false, "'\(guess)' refused") }
            var head = Browser(client: client)
            #expect(try await head.signIn("head@school.test", "a+good+admin+password"))
            let given = String(buffer: try await head.post("/users/\(launched.id)/password", "").body)
            let password = try #require(given.firstMatch(of: /id="new-password">([A-Za-z0-9]{16})</)?.1).description
            #expect(try await cleo.signIn("cleo@school.test", password))
        }
    }

    /// An admin who adds a user learns nothing of other schools: an email that is a user of
    /// another school is simply added to this one, and each account keeps its own password,
    /// school and data.
    @Test(arguments: TestBackend.allCases) func addingAUserRevealsNothingOfOtherSchools(_ backend: TestBackend) async throws {
        let (data, store, files) = try await backend.open("users")
        _ = try await UserAccounts.create(in: store, school: "School A", email: "head@a.test", name: "Head A", role: .admin, password: "a good admin password")
        let elsewhere = try await UserAccounts.create(in: store, school: "School A", email: "anna@mail.test", name: "Anna", role: .manager, password: "anna's password at A")
        let adminB = try await UserAccounts.create(in: store, school: "School B", email: "head@b.test", name: "Head B", role: .admin, password: "a good admin password")
        let server = EdControlServer(settings: .init(), data: data, store: store, files: files, models: try Fixtures.registry(), prometheus: PrometheusCollectorRegistry())
        try await Application(router: try server.router()).test(.router) { client in
            var head = Browser(client: client)
            #expect(try await head.signIn("head@b.test", "a+good+admin+password"))
            let added = try await head.post("/users", "email=Anna%40mail.test&name=Anna&role=viewer")
            let page = String(buffer: added.body)
            #expect(added.status == .ok && page.contains("anna@mail.test can now sign in") && !page.contains("already a user"), "\(added.status) \(page.prefix(300))")
            let password = try #require(page.firstMatch(of: /id="new-password">([A-Za-z0-9]{16})</)?.1).description
            // Within the school, a second one is refused as before.
            let again = try await head.post("/users", "email=anna%40mail.test&role=viewer")
            #expect(again.status == .unprocessableContent && String(buffer: again.body).contains("in this school"))

            // Each password opens its own school's account.
            var atB = Browser(client: client)
            #expect(try await atB.signIn("anna@mail.test", password))
            var atA = Browser(client: client)
            #expect(try await atA.signIn("anna@mail.test", "anna%27s+password+at+A"))
            let users = try await store.users(email: "anna@mail.test")
            #expect(users.map(\.schoolID) == [elsewhere.schoolID, adminB.schoolID])
        }
        // The command line, which sees every school, asks which one is meant.
        await #expect(throws: UserAccounts.Refusal.self) { try await UserAccounts.user(in: store, email: "anna@mail.test", school: nil) }
        #expect(try await UserAccounts.user(in: store, email: "anna@mail.test", school: "School B").schoolID == adminB.schoolID)
    }

    /// The Users page's token section: a token made there works once shown, is listed with
    /// its expiry and last use, and stops working the moment it is revoked.
    @Test(arguments: TestBackend.allCases) func anAdminMakesAndRevokesTokensOnTheUsersPage(_ backend: TestBackend) async throws {
        let (data, store, files) = try await backend.open("users")
        _ = try await UserAccounts.create(in: store, school: "School A", email: "head@school.test", name: "Head", role: .admin, password: "a good admin password")
        let server = EdControlServer(settings: .init(), data: data, store: store, files: files, models: try Fixtures.registry(), prometheus: PrometheusCollectorRegistry())
        try await Application(router: try server.router()).test(.router) { client in
            var head = Browser(client: client)
            #expect(try await head.signIn("head@school.test", "a+good+admin+password"))
            let made = try await head.post("/tokens", "name=LMS+integration&role=manager&days=30")
            let page = String(buffer: made.body)
            #expect(made.status == .ok && made.headers[.cacheControl] == "no-store" && page.contains("The token for LMS integration is made"), "\(made.status)")
            let secret = try #require(page.firstMatch(of: /id="new-token">(edc_[0-9a-f]+)</)?.1).description
            let bearer: HTTPFields = [.authorization: "Bearer \(secret)"]
            #expect(try await client.execute(uri: "/api/v1/lessons", method: .get, headers: bearer).status == .ok)
            let school = try #require(try await store.school(named: "School A", createIfMissing: false))
            let id = try #require(try await store.tokens(schoolID: school.id).first?.id)
            let listed = try await head.get("/users")
            #expect(listed.contains("id=\"token-\(id)\"") && !listed.contains(secret), "the secret is shown once only")
            #expect(try await head.post("/tokens", "name=&role=viewer").status == .unprocessableContent)
            #expect(try await head.post("/tokens/\(id)/revoke", "", csrf: false).status == .forbidden, "a form without its CSRF token")
            let revoked = try await head.post("/tokens/\(id)/revoke", "")
            #expect(revoked.status == .ok && String(buffer: revoked.body).contains("The token for LMS integration is revoked"))
            #expect(try await client.execute(uri: "/api/v1/lessons", method: .get, headers: bearer).status == .unauthorized)
            #expect(try await head.post("/tokens/\(id)/revoke", "").status == .notFound)
        }
    }
}
