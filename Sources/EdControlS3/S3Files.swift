import AsyncHTTPClient
import Crypto
import EdControlStorage
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import _NIOFileSystem

/// Lessons' files in an S3-compatible bucket, for API nodes and workers on many machines.
/// Each `FileName` is an object's key (under the location's prefix). An object appears whole
/// when its PUT or its multipart upload completes, so readers never see a part; a large
/// upload goes up in parts of `partSize` as it arrives, never held whole in memory; the
/// player's byte ranges are ranged GETs served through the API. Programs that read files get
/// a copy in this machine's scratch folder, deleted after.
public struct S3Files: LessonFiles {
    let client: S3Client
    /// This process's own folder for local copies and folders being written.
    public let scratch: URL
    /// Bytes per part of a multipart upload: memory held per upload, and 10 000 parts
    /// (S3's limit) of 16 MiB allow 160 GB.
    let partSize: Int

    public init(_ location: S3Location, credentials: S3Credentials, scratch: URL,
                partSize: Int = 16 << 20, timeoutSeconds: Int64 = 300) throws {
        client = S3Client(location: location, signer: SigV4(credentials: credentials, region: location.region), http: S3Client.sharedHTTP,
                          timeout: .seconds(timeoutSeconds))
        self.scratch = scratch
        self.partSize = max(partSize, 5 << 20)  // S3's smallest part but the last
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    /// Checks the bucket answers (and exists), as a server or worker does at start and `/ready` does.
    public func checkReachable() async throws {
        do {
            try await client.send(.HEAD, key: nil)
        } catch let refusal as S3Refusal where refusal.status == 404 {
            throw S3LocationError("the bucket \(client.location.bucket) does not exist at \(client.location.endpoint.absoluteString): create it first")
        } catch let refusal as S3Refusal where refusal.status == 403 {
            throw S3LocationError("the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY may not use the bucket \(client.location.bucket) (403)")
        }
    }

    private func key(_ name: FileName) -> String { client.location.prefix.isEmpty ? name.path : client.location.prefix + "/" + name.path }

    // MARK: Writing

    public func put<Bytes: AsyncSequence & Sendable>(_ name: FileName, from bytes: Bytes) async throws -> Int64 where Bytes.Element == ByteBuffer {
        let key = key(name)
        var part = ByteBuffer(), total: Int64 = 0
        var upload: MultipartUpload?
        do {
            for try await chunk in bytes {
                var chunk = chunk
                total += Int64(chunk.readableBytes)
                part.writeBuffer(&chunk)
                if part.readableBytes >= partSize {
                    if upload == nil { upload = try await MultipartUpload.start(key, client) }
                    try await upload?.send(part)
                    part.clear()
                }
            }
            guard var upload else {
                try await client.send(.PUT, key: key, body: part)
                return total
            }
            if part.readableBytes > 0 { try await upload.send(part) }
            try await upload.complete()
            return total
        } catch {
            // A part-way upload leaves nothing behind; the stream's own error comes out as it is.
            try? await upload?.abort()
            throw error
        }
    }

    public func put(_ name: FileName, data: Data) async throws {
        try await client.send(.PUT, key: key(name), body: ByteBuffer(data: data))
    }

    public func receive<Bytes: AsyncSequence & Sendable, Checked>(
        _ bytes: Bytes, check: (_ local: URL, _ size: Int64) async throws -> (keepAs: FileName, Checked)
    ) async throws -> Checked where Bytes.Element == ByteBuffer {
        // Received into scratch and checked there, then sent once to its own key: S3 has no
        // rename, and a copy (CopyObject, at most 5 GB) after reading the object back for the
        // check moved every byte three times.
        let received = scratch.appendingPathComponent("received-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: received) }
        let (name, checked) = try await check(received, try await LocalFolderFiles.write(bytes, to: received))
        try await put(name, fromLocal: received)
        return checked
    }

    private func put(_ name: FileName, fromLocal file: URL) async throws {
        _ = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file.path)) { handle in
            try await put(name, from: handle.readChunks(chunkLength: .mebibytes(1)))
        }
    }

    public func writeFolder(_ name: FileName, _ body: (URL) async throws -> Void) async throws {
        let folder = scratch.appendingPathComponent("folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder)
        let files = try LocalFolderFiles.regularFiles(under: folder).map(\.path).sorted { ($0 == "report.json" ? 1 : 0, $0) < ($1 == "report.json" ? 1 : 0, $1) }
        var stored: [FileName] = []
        do {
            for relative in files {
                let target = try name.appending(path: relative)
                try await put(target, fromLocal: folder.appendingPathComponent(relative))
                stored.append(target)
            }
        } catch {
            for target in stored { try? await delete(target) }
            throw error
        }
    }

    // MARK: Reading

    public func info(_ name: FileName) async throws -> StoredFile? {
        let response = try await client.send(.HEAD, key: key(name), allowing: [404])
        guard response.status != .notFound else { return nil }
        let size = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
        let modified = response.headers.first(name: "last-modified").flatMap(Self.httpDate) ?? Date(timeIntervalSince1970: 0)
        return StoredFile(name: name, size: size, modified: modified)
    }

    public func contents(of name: FileName) async throws -> Data? {
        let response = try await client.stream(.GET, key: key(name), allowing: [404])
        guard response.status != .notFound else { return nil }
        return Data(buffer: try await response.body.collect(upTo: 256 << 20))
    }

    /// One GET (a player's seek is one request to the bucket): S3 clamps a range to the
    /// object's end itself and answers 416 for one that starts past it.
    public func read(_ name: FileName, range: Range<Int64>?, into consume: (ByteBuffer) async throws -> Void) async throws {
        if let range, range.isEmpty {
            guard try await info(name) != nil else { throw StoredFileMissing(name) }
            return
        }
        let response = try await client.stream(.GET, key: key(name), headers: range.map { [("Range", "bytes=\($0.lowerBound)-\($0.upperBound - 1)")] } ?? [],
                                               allowing: [404, 416])
        switch (response.status, range) {
        case (.notFound, _): throw StoredFileMissing(name)
        case (.rangeNotSatisfiable, _): return
        case (.ok, let wanted?):
            // A store that ignores ranges sends the whole object: the range is cut out of it.
            var position: Int64 = 0
            for try await piece in response.body {
                let start = position
                position += Int64(piece.readableBytes)
                let from = max(wanted.lowerBound - start, 0), to = min(wanted.upperBound - start, Int64(piece.readableBytes))
                if from < to, let slice = piece.getSlice(at: piece.readerIndex + Int(from), length: Int(to - from)) { try await consume(slice) }
            }
        default: for try await piece in response.body { try await consume(piece) }
        }
    }

    public func withLocalCopy<T>(of name: FileName, _ body: (URL) async throws -> T) async throws -> T {
        let copy = scratch.appendingPathComponent("copy-\(UUID().uuidString)-\(name.lastComponent)")
        defer { try? FileManager.default.removeItem(at: copy) }
        let response = try await client.stream(.GET, key: key(name), allowing: [404])
        guard response.status != .notFound else { throw StoredFileMissing(name) }
        _ = try await LocalFolderFiles.write(response.body, to: copy)
        return try await body(copy)
    }

    public func list(under prefix: FileName) async throws -> [StoredFile] {
        let folder = key(prefix) + "/"
        var found: [StoredFile] = []
        var continuation: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", folder)]
            if let continuation { query.append(("continuation-token", continuation)) }
            let text = try await client.document(.GET, key: nil, query: query, describing: "list \(folder)")
            for object in S3XML.objects(in: text) where object.key.hasPrefix(folder) {
                found.append(StoredFile(name: .found(String(object.key.dropFirst(folder.count)), under: prefix), size: object.size, modified: object.modified))
            }
            continuation = S3XML.firstValue(of: "IsTruncated", in: text) == "true" ? S3XML.firstValue(of: "NextContinuationToken", in: text) : nil
        } while continuation != nil
        return found.sorted { $0.name.path < $1.name.path }
    }

    // MARK: Deleting

    public func delete(_ name: FileName) async throws {
        try await client.send(.DELETE, key: key(name), allowing: [404])
    }

    /// Deletes what a listing finds, 1 000 keys a request (DeleteObjects' limit).
    public func deleteAll(under prefix: FileName) async throws {
        let keys = try await list(under: prefix).map { key($0.name) }
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            let xml = "<Delete><Quiet>true</Quiet>" + batch.map { "<Object><Key>\(S3XML.escaped($0))</Key></Object>" }.joined() + "</Delete>"
            let body = ByteBuffer(string: xml)
            let md5 = Data(Insecure.MD5.hash(data: Data(xml.utf8))).base64EncodedString()
            _ = try await client.document(.POST, key: nil, query: [("delete", "")], headers: [("Content-MD5", md5)], body: body,
                                          describing: "delete under \(prefix)")
        }
    }

    /// No backup copies a bucket from this process (buckets are backed up with the object
    /// store's own tools): the change just runs.
    public func changing<T>(_ change: () async throws -> T) async throws -> T { try await change() }

    // MARK: Helpers

    private static func httpDate(_ text: String) -> Date? { httpDates.date(from: text) }

    /// Made once: a formatter is costly to make, and `info` runs for every file served.
    private static let httpDates: DateFormatter = {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "GMT")
        format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return format
    }()
}

/// One multipart upload under way: parts sent in order, then completed or aborted.
struct MultipartUpload {
    let key: String
    let id: String
    let client: S3Client
    private(set) var etags: [String] = []

    static func start(_ key: String, _ client: S3Client) async throws -> MultipartUpload {
        let text = try await client.document(.POST, key: key, query: [("uploads", "")], describing: "start a multipart upload of \(key)")
        guard let id = S3XML.firstValue(of: "UploadId", in: text) else {
            throw S3Refusal(status: 200, code: nil, message: "no UploadId in the answer", request: "start a multipart upload of \(key)")
        }
        return MultipartUpload(key: key, id: id, client: client)
    }

    mutating func send(_ part: ByteBuffer) async throws {
        let response = try await client.send(.PUT, key: key, query: [("partNumber", "\(etags.count + 1)"), ("uploadId", id)], body: part)
        etags.append(response.headers.first(name: "etag") ?? "")
    }

    func complete() async throws {
        let xml = "<CompleteMultipartUpload>" + etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escaped($0.element))</ETag></Part>" }
            .joined() + "</CompleteMultipartUpload>"
        _ = try await client.document(.POST, key: key, query: [("uploadId", id)], body: ByteBuffer(string: xml), describing: "complete the upload of \(key)")
    }

    func abort() async throws {
        try await client.send(.DELETE, key: key, query: [("uploadId", id)], allowing: [404])
    }
}
