import Foundation
import NIOCore

/// The promises every `LessonFiles` implementation must keep, as checks a backend's tests
/// run against an empty storage of theirs (`FilesConformanceTests` runs them on the local
/// folder). Each throws `FilesConformance.Broken` naming the promise broken. Like
/// `StoreConformance`, no test framework here.
public enum FilesConformance {
    public struct Broken: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public typealias Check = @Sendable (any LessonFiles) async throws -> Void

    /// Every check, by name.
    public static let checks: [(name: String, check: Check)] = [
        ("a streamed file is read whole and by ranges", streamedFileIsReadByRanges),
        ("a file being replaced is read old or new, never in part", replacedFileIsReadWhole),
        ("a stream that fails stores nothing and its error comes out", failedStreamStoresNothing),
        ("a folder's report.json appears after every other file", folderAppearsWithReportLast),
        ("deleting a prefix deletes that prefix only", deletingAPrefixDeletesItOnly),
        ("a received file is checked locally, then kept whole or not at all", receivedFileIsCheckedThenKept),
        ("a local copy holds the bytes, a missing file is said", localCopyHoldsTheBytes),
    ]

    static func expect(_ condition: Bool, _ promise: @autoclosure () -> String) throws {
        if !condition { throw Broken(promise()) }
    }

    /// A lesson's name no other check uses.
    static func newLesson() throws -> FileName { try .lesson("conformance-" + newIdentifier()) }

    /// Bytes that differ from position to position, so a shifted range is caught.
    static func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) &+ seed } }

    static func read(_ files: any LessonFiles, _ name: FileName, _ range: Range<Int64>?) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await files.read(name, range: range) { bytes += Array(buffer: $0) }
        return bytes
    }

    // MARK: Checks

    /// 300 001 bytes put in uneven pieces: the size, the whole, and ranges at the start, end,
    /// middle and past the end are those bytes exactly.
    static func streamedFileIsReadByRanges(_ files: any LessonFiles) async throws {
        let name = try newLesson().appending("recording.mp4")
        let bytes = pattern(300_001)
        let stored = try await files.put(name, from: Pieces(cutting: bytes, every: 65_537))
        try expect(stored == 300_001, "put says the size stored (\(stored))")
        try expect(try await files.info(name)?.size == 300_001, "info gives the size")
        try expect(try await files.contents(of: name) == Data(bytes), "the whole file is the bytes put")
        for range: Range<Int64> in [0..<1, 300_000..<300_001, 1_000..<200_000, 299_990..<400_000, 0..<300_001] {
            let expected = Array(bytes[Int(range.lowerBound)..<min(Int(range.upperBound), bytes.count)])
            try expect(try await read(files, name, range) == expected, "the range \(range) is those bytes")
        }
        try expect(try await read(files, name, 400_000..<400_010).isEmpty, "a range past the end reads nothing")
        let missing = try name.appending("absent")
        let (info, contents) = (try await files.info(missing), try await files.contents(of: missing))
        try expect(info == nil && contents == nil, "an absent file has no info and no contents")
        do {
            try await files.read(missing, range: nil) { _ in }
            throw Broken("reading an absent file is refused")
        } catch is StoredFileMissing {}
    }

    /// A writer replaces a 256 KiB file 20 times while 4 readers read it: every read is one
    /// version whole.
    static func replacedFileIsReadWhole(_ files: any LessonFiles) async throws {
        let name = try newLesson().appending("results").appending("report.json")
        let size = 262_144
        try await files.put(name, data: Data(repeating: 0, count: size))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for version in 1...20 { try await files.put(name, data: Data(repeating: UInt8(version), count: size)) }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<40 {
                        let seen = try await files.contents(of: name)
                        try expect(seen?.count == size && seen.map { Set($0).count == 1 } == true,
                                   "a read during a replacement sees one version whole (\(seen?.count ?? 0) bytes, \(seen.map { Set($0).count } ?? 0) versions)")
                    }
                }
            }
            try await group.waitForAll()
        }
        try expect(try await files.contents(of: name) == Data(repeating: 20, count: size), "the last version stays")
    }

    /// A stream that throws after two pieces: its own error comes out, and neither the file
    /// nor any part of it is stored.
    static func failedStreamStoresNothing(_ files: any LessonFiles) async throws {
        let lesson = try newLesson()
        let name = try lesson.appending("upload.part")
        struct Cut: Error {}
        do {
            _ = try await files.put(name, from: Pieces(pieces: [ByteBuffer(bytes: pattern(1000)), ByteBuffer(bytes: pattern(1000))], failing: Cut()))
            throw Broken("a failing stream's put throws")
        } catch is Cut {}
        try expect(try await files.info(name) == nil, "a failed put leaves no file")
        try expect(try await files.list(under: lesson).isEmpty, "a failed put leaves no part of the file")
    }

    /// A folder of 12 files written slowly while a reader watches: whenever its report.json
    /// is there, so is every other file; a folder whose writing fails leaves nothing.
    static func folderAppearsWithReportLast(_ files: any LessonFiles) async throws {
        let lesson = try newLesson()
        let folder = try lesson.appending("results-job-1")
        let names = (1...11).map { "file\($0).txt" } + ["faces/F1.jpg"]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await files.writeFolder(folder) { local in
                    for name in names + ["report.json"] {
                        let file = local.appendingPathComponent(name)
                        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try Data(name.utf8).write(to: file)
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
            }
            group.addTask {
                while true {
                    if try await files.info(folder.appending("report.json")) != nil {
                        for name in names {
                            try expect(try await files.contents(of: folder.appending(path: name)) == Data(name.utf8),
                                       "when report.json is there, \(name) is there whole")
                        }
                        return
                    }
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            try await group.waitForAll()
        }
        try expect(try await files.list(under: folder).count == names.count + 1, "the folder holds every file written")
        struct Failed: Error {}
        let other = try lesson.appending("results-job-2")
        do {
            try await files.writeFolder(other) { local in
                try Data("x".utf8).write(to: local.appendingPathComponent("report.json"))
                throw Failed()
            }
            throw Broken("a folder whose writing fails throws")
        } catch is Failed {}
        try expect(try await files.list(under: other).isEmpty, "a folder whose writing failed stores nothing")
        try expect(try await files.list(under: lesson).count == names.count + 1, "nothing of it sits beside the other folder either")
    }

    /// `lessons/<a>` and `lessons/<a>x` share a string prefix, not a folder: deleting the
    /// first leaves the second. Deleting what is not there is no error.
    static func deletingAPrefixDeletesItOnly(_ files: any LessonFiles) async throws {
        let lesson = try newLesson()
        let sibling = try FileName.lesson(lesson.lastComponent + "x")
        for name in [try lesson.appending("recording.wav"), try lesson.appending(path: "results/faces/F1.jpg"), try sibling.appending("recording.wav")] {
            try await files.put(name, data: Data(name.path.utf8))
        }
        try expect(try await files.list(under: lesson).map(\.name.path) == [try lesson.appending("recording.wav").path,
                                                                               try lesson.appending(path: "results/faces/F1.jpg").path],
                   "a listing holds the prefix's files at any depth, and no sibling's")
        try await files.deleteAll(under: lesson)
        try expect(try await files.list(under: lesson).isEmpty, "deleting a prefix deletes every file under it")
        try expect(try await files.contents(of: sibling.appending("recording.wav")) != nil, "a sibling sharing the string prefix stays")
        try await files.deleteAll(under: lesson)
        try await files.delete(lesson.appending("recording.wav"))
        try await files.delete(sibling.appending("recording.wav"))
        try expect(try await files.list(under: sibling).isEmpty, "deleting one file deletes it")
    }

    /// An upload is received in pieces and checked on this machine: kept whole under the
    /// name the check gives, the local file gone afterwards; a check or a stream that fails
    /// keeps nothing, and the stream's own error comes out.
    static func receivedFileIsCheckedThenKept(_ files: any LessonFiles) async throws {
        let lesson = try newLesson()
        let recording = try lesson.appending("recording.wav")
        let bytes = pattern(300_001, seed: 7)
        var checkedLocally: URL?
        let seen = try await files.receive(Pieces(cutting: bytes, every: 65_537)) { local, size in
            checkedLocally = local
            return (recording, (size, try Data(contentsOf: local)))
        }
        try expect(seen.0 == 300_001 && seen.1 == Data(bytes), "the check reads the whole file and its size (\(seen.0) bytes)")
        try expect(try await files.contents(of: recording) == Data(bytes), "the received file is kept under the name the check gave")
        try expect(checkedLocally.map { !FileManager.default.fileExists(atPath: $0.path) } == true, "the local file is gone after")

        struct NotARecording: Error {}
        struct Cut: Error {}
        for (attempt, stream) in [("a check that refuses", Pieces(cutting: bytes, every: 65_537)), ("a stream that fails", Pieces(cutting: bytes, every: 65_537, failing: Cut()))] {
            do {
                _ = try await files.receive(stream) { local, _ -> (keepAs: FileName, Void) in
                    checkedLocally = local
                    throw NotARecording()
                }
                throw Broken("\(attempt) makes the receipt fail")
            } catch is NotARecording where attempt == "a check that refuses" {
            } catch is Cut where attempt == "a stream that fails" {}
            let kept = try await files.list(under: lesson).map(\.name)
            try expect(kept == [recording], "\(attempt) keeps nothing (\(kept))")
        }
        try expect(checkedLocally.map { !FileManager.default.fileExists(atPath: $0.path) } == true, "a check that refuses leaves no local file")
        try await files.deleteAll(under: lesson)
    }

    /// A local copy of a file holds its bytes; one of a missing file is refused as missing.
    static func localCopyHoldsTheBytes(_ files: any LessonFiles) async throws {
        let recording = try newLesson().appending("recording.wav")
        let bytes = Data(pattern(70_000, seed: 7))
        try await files.put(recording, data: bytes)
        let copied = try await files.withLocalCopy(of: recording) { try Data(contentsOf: $0) }
        try expect(copied == bytes, "a local copy holds the file's bytes")
        try await files.delete(recording)
        do {
            _ = try await files.withLocalCopy(of: recording) { $0 }
            throw Broken("a local copy of a missing file is refused")
        } catch is StoredFileMissing {}
    }
}

/// Pieces of bytes as a stream, as a request body delivers them; optionally failing after
/// the last piece (a client that went away).
struct Pieces: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let pieces: [ByteBuffer]
    var failing: (any Error & Sendable)? = nil

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<ByteBuffer>
        let failing: (any Error & Sendable)?

        mutating func next() async throws -> ByteBuffer? {
            if let piece = rest.popFirst() { return piece }
            if let failing { throw failing }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: pieces[...], failing: failing) }
}

extension Pieces {
    /// `bytes` cut every `size` bytes (the last piece shorter).
    init(cutting bytes: some RandomAccessCollection<UInt8>, every size: Int, failing: (any Error & Sendable)? = nil) {
        let start = bytes.startIndex
        let pieces = stride(from: 0, to: bytes.count, by: size).map { offset in
            ByteBuffer(bytes: bytes[bytes.index(start, offsetBy: offset)..<bytes.index(start, offsetBy: Swift.min(offset + size, bytes.count))])
        }
        self.init(pieces: pieces, failing: failing)
    }
}
