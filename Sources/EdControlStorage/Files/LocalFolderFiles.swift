import Foundation
import NIOCore
import _NIOFileSystem

/// Lessons' files in the data folder, each name a path under its root (the layout
/// `DataDirectory` describes): the embedded default. A file is written beside its place under
/// a hidden name and renamed into it, so readers never see a part of one; a folder of
/// results likewise appears whole.
public struct LocalFolderFiles: LessonFiles {
    public let data: DataDirectory

    public init(_ data: DataDirectory) { self.data = data }

    private func url(_ name: FileName) -> URL { data.root.appendingPathComponent(name.path) }

    /// A hidden name beside `target` to write under before renaming into place.
    private func staging(_ target: URL) -> URL {
        target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(UUID().uuidString)")
    }

    private func makeParent(of target: URL) throws {
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
    }

    public func put<Bytes: AsyncSequence & Sendable>(_ name: FileName, from bytes: Bytes) async throws -> Int64 where Bytes.Element == ByteBuffer {
        let target = url(name), partial = staging(target)
        try makeParent(of: target)
        defer { try? FileManager.default.removeItem(at: partial) }
        let size = try await Self.write(bytes, to: partial)
        try rename(partial, to: target, naming: name)
        return size
    }

    public func put(_ name: FileName, data bytes: Data) async throws {
        let target = url(name), partial = staging(target)
        try makeParent(of: target)
        defer { try? FileManager.default.removeItem(at: partial) }
        try bytes.write(to: partial)
        try rename(partial, to: target, naming: name)
    }

    public func receive<Bytes: AsyncSequence & Sendable, Checked>(
        _ bytes: Bytes, check: (_ local: URL, _ size: Int64) async throws -> (keepAs: FileName, Checked)
    ) async throws -> Checked where Bytes.Element == ByteBuffer {
        // Received under uploads/, where the start-up sweep finds what a crash left; kept by a rename.
        let upload = try FileName.upload(UUID().uuidString), received = url(upload)
        try makeParent(of: received)
        defer { try? FileManager.default.removeItem(at: received) }
        let size = try await Self.write(bytes, to: received)
        let (name, checked) = try await check(received, size)
        let target = url(name)
        try makeParent(of: target)
        try rename(received, to: target, naming: upload)
        return checked
    }

    /// Writes `bytes` to a new file on this machine and returns their count. The stream's own
    /// error comes out as it is (NIOFileSystem's writer wraps it as its cause).
    package static func write<Bytes: AsyncSequence & Sendable>(_ bytes: Bytes, to file: URL) async throws -> Int64 where Bytes.Element == ByteBuffer {
        do {
            return try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(file.path), options: .newFile(replaceExisting: true)) { handle in
                try await handle.withBufferedWriter { writer in try await writer.write(contentsOf: bytes) }
            }
        } catch let error as FileSystemError {
            var cause: Error = error
            while let wrapped = cause as? FileSystemError, let inner = wrapped.cause { cause = inner }
            throw cause
        }
    }

    /// rename(2): atomic, replacing a file at the target (Foundation's move refuses to).
    private func rename(_ source: URL, to target: URL, naming name: FileName) throws {
        guard Foundation.rename(source.path, target.path) == 0 else {
            throw errno == ENOENT ? StoredFileMissing(name) : POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    public func info(_ name: FileName) async throws -> StoredFile? {
        var status = stat()
        guard stat(url(name).path, &status) == 0 else {
            // Not there, or a file stands where a folder of the name would be.
            guard errno == ENOENT || errno == ENOTDIR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            return nil
        }
        guard status.st_mode & S_IFMT == S_IFREG else { return nil }
        return StoredFile(name: name, size: Int64(status.st_size),
                          modified: Date(timeIntervalSince1970: Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9))
    }

    public func contents(of name: FileName) async throws -> Data? {
        guard try await info(name) != nil else { return nil }
        do {
            return try Data(contentsOf: url(name))
        } catch CocoaError.fileReadNoSuchFile, CocoaError.fileNoSuchFile {
            return nil  // deleted since
        }
    }

    public func read(_ name: FileName, range: Range<Int64>?, into consume: (ByteBuffer) async throws -> Void) async throws {
        guard let info = try await info(name) else { throw StoredFileMissing(name) }
        let whole = 0..<info.size
        let wanted = range?.clamped(to: whole) ?? whole
        guard !wanted.isEmpty else { return }
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(url(name).path)) { file in
            for try await chunk in file.readChunks(in: wanted, chunkLength: .kibibytes(128)) { try await consume(chunk) }
        }
    }

    public func withLocalCopy<T>(of name: FileName, _ body: (URL) async throws -> T) async throws -> T {
        // The file is on this machine already: the copy is the file itself, and stays.
        guard try await info(name) != nil else { throw StoredFileMissing(name) }
        return try await body(url(name))
    }

    public func writeFolder(_ name: FileName, _ body: (URL) async throws -> Void) async throws {
        let target = url(name), partial = staging(target)
        try makeParent(of: target)
        defer { try? FileManager.default.removeItem(at: partial) }
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: false)
        try await body(partial)
        // A folder left at the target by a run that stopped before renaming its own is stale.
        try? FileManager.default.removeItem(at: target)
        try rename(partial, to: target, naming: name)
    }

    public func list(under prefix: FileName) async throws -> [StoredFile] {
        try Self.regularFiles(under: url(prefix), reading: [.fileSizeKey, .contentModificationDateKey]).map { relative, values in
            StoredFile(name: .found(relative, under: prefix), size: Int64(values.fileSize ?? 0),
                       modified: values.contentModificationDate ?? Date(timeIntervalSince1970: 0))
        }.sorted { $0.name.path < $1.name.path }
    }

    /// Every regular file under `folder` at any depth: its path relative to `folder`, and the
    /// resource values asked for.
    package static func regularFiles(under folder: URL, reading keys: Set<URLResourceKey> = []) throws -> [(path: String, values: URLResourceValues)] {
        let root = folder.standardizedFileURL, keys = keys.union([.isRegularFileKey])
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: Array(keys)) else { return [] }
        var found: [(path: String, values: URLResourceValues)] = []
        while let file = walk.nextObject() as? URL {
            let values = try file.resourceValues(forKeys: keys)
            guard values.isRegularFile == true else { continue }
            found.append((String(file.standardizedFileURL.path.dropFirst(root.path.count + 1)), values))
        }
        return found
    }

    public func delete(_ name: FileName) async throws {
        try remove(url(name))
    }

    public func deleteAll(under prefix: FileName) async throws {
        try remove(url(prefix))
    }

    private func remove(_ target: URL) throws {
        do {
            try FileManager.default.removeItem(at: target)
        } catch CocoaError.fileNoSuchFile {
            return
        }
    }

    public func changing<T>(_ change: () async throws -> T) async throws -> T {
        try await data.publishing(change)
    }
}
