@testable import EdControlS3
@testable import EdControlStorage
@testable import EdControlTestSupport
import Foundation
import Testing

/// The file conformance kit (`FilesConformance`) on every kind of file store: the data
/// folder and an S3 bucket (on the SeaweedFS scripts/test.sh starts), each check on a fresh one.
@Suite("Files conformance")
struct FilesConformanceTests {
    @Test(arguments: FilesConformance.checks.map(\.name))
    func localFolderKeepsThePromise(_ name: String) async throws {
        let check = try #require(FilesConformance.checks.first { $0.name == name }).check
        try await check(LocalFolderFiles(try DataDirectory(Fixtures.temporaryDirectory("files-conformance"))))
    }

    @Test(arguments: FilesConformance.checks.map(\.name))
    func s3BucketKeepsThePromise(_ name: String) async throws {
        let check = try #require(FilesConformance.checks.first { $0.name == name }).check
        try await check(try TestS3.freshFiles("conformance"))
    }
}
