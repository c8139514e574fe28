import EdControlEngine
@testable import EdControlStorage
@testable import EdControlWeb
import Foundation
import Hummingbird
import HTTPTypes
import Prometheus
import Testing

/// What the router-level tests run against: the server's router (in-process, through
/// Hummingbird's testing framework) over a new data directory, store and files on `backend`,
/// with one school and a token of `role`.
struct RouterInstallation: Sendable {
    let data: DataDirectory
    let store: any EdControlStore
    let server: EdControlServer
    let token: String
    let caller: Principal

    init(_ name: String, role: Role, on backend: TestBackend = .embedded, settings: EdControlServer.Settings = .init()) async throws {
        let files: any LessonFiles
        (data, store, files) = try await backend.open(name)
        server = EdControlServer(settings: settings, data: data, store: store, files: files, models: try Fixtures.registry(),
                                 prometheus: PrometheusCollectorRegistry())
        let school = try #require(try await store.school(named: "School A", createIfMissing: true))
        let (secret, token) = try await store.createToken(schoolID: school.id, name: role.rawValue, role: role, expiresAt: nil)
        self.token = secret
        caller = Principal(tokenID: token.id, tokenName: token.name, schoolID: school.id, role: role)
    }

    func application() throws -> some ApplicationProtocol { Application(router: try server.router()) }
    var bearer: HTTPFields { [.authorization: "Bearer \(token)"] }
}
