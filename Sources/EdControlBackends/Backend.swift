import EdControlPostgres
import EdControlSQLite
import EdControlStorage
import Foundation

/// Where the store lives, as `--database` gives it: `sqlite:PATH` (the embedded default,
/// the data folder's `edcontrol.sqlite` when none is given) or `postgres://…`
/// (`PostgresLocation`), shared by any number of API nodes and workers.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Reads `url`; nil gives the data folder's own SQLite file.
    public init(_ url: String?, data: DataDirectory) throws {
        guard let url, !url.isEmpty else {
            self = .sqlite(path: data.database.path)
            return
        }
        guard let colon = url.firstIndex(of: ":") else {
            throw DatabaseLocationError("--database \(url) names no kind of database: write sqlite:PATH (such as sqlite:/srv/edcontrol/edcontrol.sqlite) or postgres://USER@HOST/DATABASE")
        }
        let scheme = url[..<colon].lowercased(), rest = String(url[url.index(after: colon)...])
        switch scheme {
        case "sqlite":
            // sqlite:PATH, sqlite:///absolute/path and sqlite://relative/path all name a file.
            let path = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : rest
            guard !path.isEmpty else { throw DatabaseLocationError("--database \(url) names no file: write sqlite:PATH") }
            self = .sqlite(path: path)
        case "postgres", "postgresql":
            self = .postgres(try PostgresLocation(url))
        default:
            throw DatabaseLocationError("--database \(url): '\(scheme)' databases are not supported; use sqlite:PATH or postgres://USER@HOST/DATABASE")
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }
}

public struct DatabaseLocationError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
    init(_ description: String) { self.description = description }
}

/// The store and files a command works on. The one place a backend is chosen by name:
/// everything else holds the store's protocols (`EdControlStore` or a narrower one) and
/// `LessonFiles`.
public struct Backend: Sendable {
    public let data: DataDirectory
    public let database: DatabaseLocation
    public let store: any EdControlStore
    /// The lessons' files: in the data folder (the one kind this release has).
    public var files: any LessonFiles { LocalFolderFiles(data) }

    /// Opens (creating and migrating) the store at `database` beside the data folder.
    public static func open(data: DataDirectory, database: DatabaseLocation) async throws -> Backend {
        switch database {
        case .sqlite(let path):
            Backend(data: data, database: database, store: try SQLiteStore(path: path))
        case .postgres(let location):
            Backend(data: data, database: database, store: try await PostgresStore.connect(location))
        }
    }

    /// The schema version this release writes in the embedded database (its migrations,
    /// counted): what backups and upgrades of the data folder record.
    public static var schemaVersion: Int { SQLiteStore.schemaVersion }

    /// Writes a consistent backup of the database and the data folder while the service
    /// runs (`DataBackup`): the embedded default's, SQLite beside its own files.
    public func backup(to archive: URL, progress: (Double) -> Void) throws -> BackupManifest {
        guard let sqlite = store as? SQLiteStore, database == .sqlite(path: data.database.path) else {
            throw BackupError("edcontrol backup copies the embedded database in the data folder; the database \(database) is backed up with its own tools")
        }
        return try DataBackup(data: data).create(to: archive, store: sqlite, progress: progress)
    }

    /// Checks a backup written by `backup(to:progress:)` without restoring it.
    public static func verifyBackup(_ archive: URL) throws -> BackupManifest { try DataBackup.verify(archive) }

    /// Restores a backup into `folder` (empty or absent), at this release's schema.
    public static func restoreBackup(_ archive: URL, into folder: URL) throws -> BackupManifest {
        try DataBackup.restore(archive, into: folder)
    }
}
