import EdControlEngine
import EdControlReports
import Foundation
import Logging

/// Where the embedded service keeps everything: the SQLite database, and the lessons' files
/// (`LocalFolderFiles`: uploads being received, per lesson its recording and the analysis
/// results). Only `LocalFolderFiles` and the backup know the layout below.
///
///     DIR/edcontrol.sqlite
///     DIR/metrics.token                       (the operator's token for /metrics, readable by the owner only)
///     DIR/publishing.lock                     (held while a lesson's files and rows change together; see `publishing`)
///     DIR/uploads/<uuid>.part                 (an upload in progress)
///     DIR/lessons/<lesson id>/recording.<ext>
///     DIR/lessons/<lesson id>/results-<job>-<attempt>/  (one run's results: report.json, report-overview.json,
///                                             diarization.rttm, timeline.vtt, incidents.csv, report.html,
///                                             transcript.*, faces/; the lesson's row names the published one)
///     DIR/lessons/<lesson id>/results/        (the results of lessons published before runs were named)
///     DIR/lessons/<lesson id>/shadow/<configuration>/report.json  (a shadow run's report, never shown to the school)
///
/// Everything in it is private to the service's user (folders 0700, files 0600): recordings
/// show minors and the database holds webhook secrets.
public struct DataDirectory: Sendable {
    public let root: URL

    /// Opens (creating) the folder. From here on this process, and the ffmpeg and SQLite
    /// files it makes, create files for their owner only, whatever umask it was started with.
    public init(_ root: URL) throws {
        umask(0o077)
        self.root = root.standardizedFileURL
        for directory in [self.root] + [FileName.uploads, FileName.lessons].map({ self.root.appendingPathComponent($0.path) }) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// Makes every folder and file in the data folder private to its owner again, and says
    /// how many were not (an earlier release, a copy or restore, or an operator's chmod).
    /// Returns the paths changed, relative to the root.
    @discardableResult
    public func makePrivate(logger: Logger) throws -> [String] {
        var changed: [String] = []
        func restrict(_ url: URL, folder: Bool) throws {
            let mode = try (FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? 0
            guard mode & 0o077 != 0 else { return }
            try FileManager.default.setAttributes([.posixPermissions: folder ? 0o700 : mode & 0o700 | 0o600], ofItemAtPath: url.path)
            let relative = String(url.path.dropFirst(root.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            changed.append(relative.isEmpty ? "." : relative)
        }
        try restrict(root, folder: true)
        let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey])
        while let url = walk?.nextObject() as? URL {
            let kind = try url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
            if kind.isSymbolicLink == true { continue }  // its target is not the data folder's to change
            try restrict(url, folder: kind.isDirectory == true)
        }
        if !changed.isEmpty {
            logger.warning("the data folder was readable by other users of this machine; made private to the service's user (folders 0700, files 0600)",
                           metadata: ["folder": "\(root.path)", "changed": "\(changed.count)", "first": "\(changed.prefix(5).joined(separator: ", "))"])
        }
        return changed
    }

    // MARK: Changes of files and rows together

    /// Runs `change`, which changes a lesson's files and the rows that describe them
    /// (publishing results, erasing a lesson, expiring a recording), while no backup is
    /// copying the data folder: a backup then holds both sides of it or neither. Many
    /// changes run at once; they wait only for a backup's copy to finish.
    package func publishing<T>(_ change: () async throws -> T) async throws -> T {
        let lock = try openLock()
        defer { close(lock) }
        while flock(lock, LOCK_SH | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await change()
    }

    /// Runs `copy` while no change of a lesson's files and rows is under way (waiting for
    /// those running to end), for a backup's consistent copy of the database and files.
    package func pausingPublication<T>(_ copy: () throws -> T) throws -> T {
        let lock = try openLock()
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        return try copy()
    }

    /// The lock is flock(2) on a file of the data folder, so that every process on this
    /// machine (the server, separate workers, `edcontrol backup`) takes the same one, and a
    /// process that dies releases it.
    private func openLock() throws -> Int32 {
        let descriptor = open(root.appendingPathComponent("publishing.lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return descriptor
    }

    public var database: URL { root.appendingPathComponent("edcontrol.sqlite") }

    /// The installation's token for `/metrics`, made on first use. Metrics cover every
    /// school, so a school's own tokens do not open them; the operator's scraper sends this.
    /// EDCONTROL_METRICS_TOKEN, when set, is used instead: one secret for the scraper of many
    /// API nodes and workers, each with a data folder of its own.
    public func metricsToken() throws -> String {
        if let shared = ProcessInfo.processInfo.environment["EDCONTROL_METRICS_TOKEN"]?.trimmingCharacters(in: .whitespaces), !shared.isEmpty {
            return shared
        }
        let file = root.appendingPathComponent("metrics.token")
        if let token = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            return token
        }
        let token = "edm_" + randomHex(bytes: 32)
        guard FileManager.default.createFile(atPath: file.path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: file.path])
        }
        return token
    }
}
