@testable import EdControlStorage
@testable import EdControlTestSupport
import Foundation
import Testing

/// The file conformance kit (`FilesConformance`) on the data folder, each check on a fresh
/// one: what an object store will have to pass as well.
@Suite("Files conformance: local folder")
struct FilesConformanceTests {
    @Test(arguments: FilesConformance.checks.map(\.name))
    func localFolderKeepsThePromise(_ name: String) async throws {
        let check = try #require(FilesConformance.checks.first { $0.name == name }).check
        try await check(LocalFolderFiles(try DataDirectory(Fixtures.temporaryDirectory("files-conformance"))))
    }
}
