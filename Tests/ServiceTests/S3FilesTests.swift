@testable import EdControlS3
@testable import EdControlStorage
@testable import EdControlTestSupport
import Foundation
import NIOCore
import Testing

/// What the file kit does not reach on a bucket: uploads in parts, a part-way upload that
/// fails, signatures the server checks, and a server that is not there.
@Suite("S3 files")
struct S3FilesTests {
    /// Bytes in uneven pieces, failing after `failAfter` bytes if given.
    struct Pieces: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let data: [UInt8]
        var failAfter: Int?

        struct CutOff: Error {}

        func makeAsyncIterator() -> AsyncThrowingStream<ByteBuffer, Error>.Iterator {
            AsyncThrowingStream<ByteBuffer, Error> { continuation in
                var offset = 0, piece = 1
                while offset < data.count {
                    if let failAfter, offset >= failAfter { continuation.finish(throwing: CutOff()); return }
                    let end = Swift.min(data.count, offset + 700_001 * piece % 1_900_000 + 1)
                    continuation.yield(ByteBuffer(bytes: data[offset..<end]))
                    offset = end
                    piece += 1
                }
                continuation.finish()
            }.makeAsyncIterator()
        }
    }

    static func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) } }

    @Test func aFileLargerThanAPartGoesUpInPartsAndReadsBackWhole() async throws {
        let bucket = try TestS3.freshFiles("parts")
        let files = try S3Files(bucket.client.location, credentials: TestS3.credentials, scratch: bucket.scratch, partSize: 5 << 20)
        let data = Self.bytes(12 << 20 + 12_345)
        let name = try FileName.upload("large")
        let stored = try await files.put(name, from: Pieces(data: data))
        #expect(stored == Int64(data.count))
        #expect(try await files.info(name)?.size == Int64(data.count))
        var back: [UInt8] = []
        try await files.read(name, range: nil) { back += Array($0.readableBytesView) }
        #expect(back == data, "the object is the stream's bytes in order")
        var middle: [UInt8] = []
        try await files.read(name, range: 6_000_000..<6_000_010) { middle += Array($0.readableBytesView) }
        #expect(middle == Array(data[6_000_000..<6_000_010]))
    }

    @Test func anUploadCutOffAfterSomePartsLeavesNothing() async throws {
        let bucket = try TestS3.freshFiles("cutoff")
        let files = try S3Files(bucket.client.location, credentials: TestS3.credentials, scratch: bucket.scratch, partSize: 5 << 20)
        let name = try FileName.upload("cut")
        await #expect(throws: Pieces.CutOff.self, "the stream's own error comes out as it is") {
            _ = try await files.put(name, from: Pieces(data: Self.bytes(12 << 20), failAfter: 11 << 20))
        }
        #expect(try await files.info(name) == nil, "no object is left")
        let pending = try await files.client.document(.GET, key: nil, query: [("uploads", ""), ("prefix", files.client.location.prefix + "/")],
                                                                 describing: "list pending uploads")
        #expect(S3XML.values(of: "UploadId", in: pending).isEmpty, "the multipart upload was aborted: \(pending)")
    }

    @Test func aWrongSecretIsRefusedAndAnAbsentServerSaysSo() async throws {
        let bucket = try TestS3.freshFiles("keys")
        let wrong = try S3Files(bucket.client.location, credentials: S3Credentials(accessKeyID: "edcontrol-test", secretAccessKey: "not-the-secret"),
                                scratch: bucket.scratch)
        await #expect(throws: S3LocationError.self, "the server checks the signature") { try await wrong.checkReachable() }
        let absent = try S3Files(try S3Location("s3://nowhere?endpoint=http://127.0.0.1:9&region=us-east-1"), credentials: TestS3.credentials,
                                 scratch: bucket.scratch, timeoutSeconds: 5)
        let error = await #expect(throws: Unreachable.self) { try await absent.checkReachable() }
        #expect(error?.description.contains("cannot be reached") == true)
    }
}
