import Crypto
import EdControlEngine
import EdControlStorage
import Foundation

/// What a backup holds, written into it as `manifest.json`: the software and schema that
/// made it, the counts a restore drill compares, and every file with its size and sha256.
public struct BackupManifest: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        /// Relative to the data folder (the database is `edcontrol.sqlite`).
        public var path: String
        public var size: Int64
        public var sha256: String
    }

    public var software = "edcontrol"
    public var softwareVersion = EdControl.version
    /// The database's migrations, by count: a restore refuses a schema newer than it knows.
    public var schemaVersion: Int
    /// When the database was copied; the files are as of that moment too (no lesson's files
    /// and rows changed until they were all linked).
    public var snapshotAt: Date
    public var schools: Int
    public var lessons: Int
    public var reviews: Int
    public var files: [File]
    /// Files of the database's lessons that were gone when they were linked (deleted by
    /// hand, or lost with a disk): recorded, not fatal.
    public var missing: [String]
}

/// Why a backup cannot be made, checked or restored, in a sentence that names the file.
public struct BackupError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
    package init(_ description: String) { self.description = description }
}

/// A consistent copy of a data folder, made while the server and workers run, and its
/// restore. The database is copied with SQLite's online backup API (a copy of the file under
/// WAL could be torn), and the lessons' files are hard-linked into a staging folder, both
/// while no lesson's files and rows are changing (`DataDirectory.pausingPublication`): a
/// re-analysis published or a lesson erased during the backup is in it wholly or not at all.
/// The linked files are then hashed and archived with `tar` (a maintained tool that streams
/// files of any size; no Swift package writes tar) while the service goes on.
public struct DataBackup: Sendable {
    public static let manifestFile = "manifest.json"
    static let databaseFile = "edcontrol.sqlite"

    let data: DataDirectory

    public init(data: DataDirectory) { self.data = data }

    /// Writes the backup to `archive` (first under a temporary name, renamed when whole, so
    /// an interrupted backup leaves no half archive under the final name).
    public func create(to archive: URL, store: SQLiteStore, progress: (Double) -> Void = { _ in }) throws -> BackupManifest {
        let staging = data.root.appendingPathComponent(".backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }

        let (snapshot, linked, missing) = try data.pausingPublication {
            let snapshot = try store.snapshot(to: staging.appendingPathComponent(Self.databaseFile))
            var linked: [String] = [], missing: [String] = []
            for (index, lesson) in snapshot.lessons.enumerated() {
                let name = try FileName.lesson(lesson.id)
                let folder = data.root.appendingPathComponent(name.path)
                guard FileManager.default.fileExists(atPath: folder.path) else {
                    missing.append(name.path)
                    continue
                }
                let linkedBefore = linked.count
                for file in Self.regularFiles(under: folder) {
                    let relative = name.path + "/" + String(file.path.dropFirst(folder.path.count + 1))
                    // Results are the lesson's when its row names their set: another run's are not
                    // (not yet published, or replaced and about to be deleted).
                    let set = String(relative.split(separator: "/")[2])
                    guard !ResultsSet.isSet(set) || set == lesson.results, !set.hasPrefix(".") else { continue }
                    let copy = staging.appendingPathComponent(relative)
                    try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
                    do {
                        try FileManager.default.linkItem(at: file, to: copy)
                        linked.append(relative)
                    } catch CocoaError.fileReadNoSuchFile, CocoaError.fileNoSuchFile {
                        missing.append(relative)
                    }
                }
                // The database names the recording: one that is not there is missing.
                if let recording = lesson.recording.map({ name.path + "/" + $0 }), !linked[linkedBefore...].contains(recording),
                   !missing.contains(recording) {
                    missing.append(recording)
                }
                progress(0.4 * Double(index + 1) / Double(max(1, snapshot.lessons.count)))
            }
            return (snapshot, linked, missing)
        }
        // Lesson files are never changed in place (results are replaced whole), so the links
        // hold what they held when linked.
        var files: [BackupManifest.File] = []
        for (index, relative) in ([Self.databaseFile] + linked).enumerated() {
            files.append(try Self.entry(relative, in: staging))
            progress(0.4 + 0.5 * Double(index + 1) / Double(linked.count + 1))
        }
        let manifest = BackupManifest(schemaVersion: snapshot.schemaVersion, snapshotAt: snapshot.at, schools: snapshot.schools,
                                      lessons: snapshot.lessons.count, reviews: snapshot.reviews, files: files, missing: missing)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(manifest).write(to: staging.appendingPathComponent(Self.manifestFile))

        let partial = archive.deletingLastPathComponent().appendingPathComponent(".\(archive.lastPathComponent).part")
        defer { try? FileManager.default.removeItem(at: partial) }
        // The names go in a list file: a school's thousands of files overflow a command line.
        let names = data.root.appendingPathComponent(".backup-\(UUID().uuidString).files")
        defer { try? FileManager.default.removeItem(at: names) }
        try ([Self.manifestFile] + files.map(\.path)).map { $0 + "\n" }.joined().write(to: names, atomically: false, encoding: .utf8)
        // A linked file whose other name is removed meanwhile (results replaced, a lesson
        // erased) keeps its bytes but changes its inode's change time, which GNU tar reports
        // as "file changed as we read it" with status 1. Lesson files are never rewritten in
        // place, so that warning is silenced and its status taken; any other warning fails.
        try Self.tar(["-cf", partial.path, "-C", staging.path, "--warning=no-file-changed", "--verbatim-files-from", "-T", names.path],
                     silencedWarningStatus: 1)
        progress(0.95)
        if FileManager.default.fileExists(atPath: archive.path) { try FileManager.default.removeItem(at: archive) }
        try FileManager.default.moveItem(at: partial, to: archive)
        progress(1)
        return manifest
    }

    /// Unpacks `archive` into `folder` and checks every file against the manifest, and that
    /// the database opens and passes SQLite's integrity check; returns the manifest.
    @discardableResult
    public static func unpackChecked(_ archive: URL, into folder: URL) throws -> BackupManifest {
        guard FileManager.default.fileExists(atPath: archive.path) else { throw BackupError("\(archive.path): no such file") }
        do {
            try tar(["-xf", archive.path, "-C", folder.path])
        } catch {
            throw BackupError("\(archive.lastPathComponent) is not a whole EdControl backup: tar could not read it (\(error))")
        }
        let manifestData: Data
        do {
            manifestData = try Data(contentsOf: folder.appendingPathComponent(manifestFile))
        } catch {
            throw BackupError("\(archive.lastPathComponent) has no \(manifestFile): it is not an EdControl backup")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let manifest = try? decoder.decode(BackupManifest.self, from: manifestData) else {
            throw BackupError("\(archive.lastPathComponent): its \(manifestFile) cannot be read; the archive is damaged")
        }
        for file in manifest.files {
            let url = folder.appendingPathComponent(file.path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw BackupError("\(archive.lastPathComponent) is damaged: \(file.path) is missing from it")
            }
            let found = try entry(file.path, in: folder)
            guard found == file else {
                throw BackupError("\(archive.lastPathComponent) is damaged: \(file.path) is not the file that was backed up "
                    + "(\(found.size) bytes, sha256 \(found.sha256.prefix(12))…; expected \(file.size) bytes, sha256 \(file.sha256.prefix(12))…)")
            }
        }
        try SQLiteStore.checkIntegrity(of: folder.appendingPathComponent(databaseFile).path)
        return manifest
    }

    /// Checks a backup without restoring it (in a temporary folder, removed afterwards).
    public static func verify(_ archive: URL) throws -> BackupManifest {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("edcontrol-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try unpackChecked(archive, into: folder)
    }

    /// Restores `archive` into `folder`, which must be empty or absent: checks it whole, refuses
    /// a schema newer than this software knows, then brings the database to this release's
    /// schema. Whatever fails, the folder is left empty.
    public static func restore(_ archive: URL, into folder: URL) throws -> BackupManifest {
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard existing.isEmpty else {
            throw BackupError("\(folder.path) is not empty (\(existing.count) entries); restore into a new folder, so that nothing there is overwritten")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            let manifest = try unpackChecked(archive, into: folder)
            guard manifest.schemaVersion <= SQLiteStore.schemaVersion else {
                throw BackupError("\(archive.lastPathComponent) was made by a newer release (schema \(manifest.schemaVersion), EdControl \(manifest.softwareVersion)); "
                    + "this one knows schema \(SQLiteStore.schemaVersion): restore it with that release or a later one")
            }
            try FileManager.default.removeItem(at: folder.appendingPathComponent(manifestFile))
            let restored = try DataDirectory(folder)
            _ = try SQLiteStore(path: restored.database.path)  // migrates to this release's schema
            return manifest
        } catch {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(entry))
            }
            throw error
        }
    }

    // MARK: Files

    static func regularFiles(under folder: URL) -> [URL] {
        let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        var files: [URL] = []
        while let url = walk?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(url.standardizedFileURL) }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// A file's size and sha256, read in 1-MB pieces (recordings are gigabytes).
    static func entry(_ relative: String, in folder: URL) throws -> BackupManifest.File {
        let handle = try FileHandle(forReadingFrom: folder.appendingPathComponent(relative))
        defer { try? handle.close() }
        var hash = SHA256()
        var size: Int64 = 0
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            hash.update(data: piece)
            size += Int64(piece.count)
        }
        return .init(path: relative, size: size, sha256: hash.finalize().hexadecimal)
    }

    /// Runs GNU tar. `silencedWarningStatus`: an exit status taken as success when tar wrote
    /// nothing to standard error (its only warnings were ones the arguments silenced).
    static func tar(_ arguments: [String], silencedWarningStatus: Int32? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tar"] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let quietWarning = process.terminationStatus == silencedWarningStatus && message.isEmpty
        guard process.terminationStatus == 0 || quietWarning else {
            throw BackupError("tar failed: " + message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
