@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
import Foundation
import Testing

/// The store conformance kit (`StoreConformance`) on every store: the embedded SQLite file
/// and a PostgreSQL database (on the cluster scripts/test.sh starts), each check on a fresh
/// one.
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test(arguments: StoreConformance.checks.map(\.name))
    func sqliteStoreKeepsThePromise(_ name: String) async throws {
        let check = try #require(StoreConformance.checks.first { $0.name == name }).check
        let folder = try Fixtures.temporaryDirectory("conformance")
        try await check(try SQLiteStore(path: folder.appendingPathComponent("edcontrol.sqlite").path))
    }

    @Test(arguments: StoreConformance.checks.map(\.name))
    func postgresStoreKeepsThePromise(_ name: String) async throws {
        let check = try #require(StoreConformance.checks.first { $0.name == name }).check
        let store = try await TestPostgres.freshStore("conformance")
        try await TestPostgres.revealingErrors { try await check(store) }
    }
}
