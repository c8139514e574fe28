import EdControlPostgres
import EdControlS3
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

/// Where lessons' files live, as `--storage` gives it: the data folder (the embedded
/// default) or an S3-compatible bucket (`S3Location`), which API nodes and workers on many
/// machines share.
public enum StorageLocation: Sendable, Equatable, CustomStringConvertible {
    case dataFolder
    case s3(S3Location)

    /// Reads `url`; nil or empty gives the data folder.
    public init(_ url: String?) throws {
        guard let url, !url.isEmpty else {
            self = .dataFolder
            return
        }
        guard url.lowercased().hasPrefix("s3://") else {
            throw DatabaseLocationError("--storage \(url) is not a bucket's address: write s3://BUCKET?endpoint=URL&region=REGION, or leave it out to keep files in --data")
        }
        self = .s3(try S3Location(url))
    }

    public var description: String {
        switch self {
        case .dataFolder: "the data folder"
        case .s3(let location): location.description
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
    public let storage: StorageLocation
    /// The lessons' files, where `storage` says.
    public let files: any LessonFiles

    /// Opens (creating and migrating) the store at `database`, and the files at `storage`,
    /// checking that both answer. A bucket's local copies go to the data folder's `scratch`.
    public static func open(data: DataDirectory, database: DatabaseLocation, storage: StorageLocation = .dataFolder) async throws -> Backend {
        let store: any EdControlStore = switch database {
        case .sqlite(let path): try SQLiteStore(path: path)
        case .postgres(let location): try await PostgresStore.connect(location)
        }
        let files: any LessonFiles
        switch storage {
        case .dataFolder:
            files = LocalFolderFiles(data)
        case .s3(let location):
            let bucket = try S3Files(location, credentials: try S3Credentials.fromEnvironment(), scratch: data.root.appendingPathComponent("scratch"))
            try await bucket.checkReachable()
            files = bucket
        }
        return Backend(data: data, database: database, store: store, storage: storage, files: files)
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
        guard storage == .dataFolder else {
            throw BackupError("edcontrol backup copies the files in the data folder; the bucket \(storage) is backed up with the object store's own tools")
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
