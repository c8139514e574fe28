@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
import Foundation
import Testing

/// The store conformance kit (`StoreConformance`) on the embedded SQLite store, each check
/// on a fresh file: what a PostgreSQL store will have to pass as well.
@Suite("Store conformance: SQLite")
struct StoreConformanceTests {
    @Test(arguments: StoreConformance.checks.map(\.name))
    func sqliteStoreKeepsThePromise(_ name: String) async throws {
        let check = try #require(StoreConformance.checks.first { $0.name == name }).check
        let folder = try Fixtures.temporaryDirectory("conformance")
        try await check(try SQLiteStore(path: folder.appendingPathComponent("edcontrol.sqlite").path))
    }
}
