import EdControlStorage
import Foundation
import GRDB

extension SQLiteStore {
    /// What a backup's copy of the database holds.
    struct Snapshot {
        var at: Date
        var schemaVersion: Int
        /// Every lesson, by id, with the file name of its recording if it has one and the set
        /// of results it publishes.
        var lessons: [(id: String, recording: String?, results: String)]
        var schools: Int
        var reviews: Int
    }

    /// The number of migrations this release knows: the schema version of the databases it writes.
    public static var schemaVersion: Int { migrator.migrations.count }

    /// Copies the database to `path` with SQLite's online backup API, while other connections
    /// go on reading and writing, and says what the copy holds.
    func snapshot(to path: URL) throws -> Snapshot {
        let copy = try DatabaseQueue(path: path.path)
        try database.backup(to: copy)
        let at = Date()
        return try copy.read { db in
            Snapshot(at: at, schemaVersion: try Self.migrator.appliedIdentifiers(db).count,
                     lessons: try Row.fetchAll(db, sql: "SELECT id, media_file, COALESCE(results_set, ?) AS results FROM lesson ORDER BY id",
                                               arguments: [ResultsSet.beforeRuns]).map { ($0["id"], $0["media_file"], $0["results"]) },
                     schools: try Int.fetchOne(db, sql: "SELECT count(*) FROM school") ?? 0,
                     reviews: try Int.fetchOne(db, sql: "SELECT count(*) FROM incident_review") ?? 0)
        }
    }

    /// Refuses a database file that SQLite finds damaged (`PRAGMA integrity_check`).
    static func checkIntegrity(of path: String) throws {
        let verdict: [String]
        do {
            var configuration = Configuration()
            configuration.readonly = true
            verdict = try DatabaseQueue(path: path, configuration: configuration).read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
        } catch {
            throw BackupError("the backup's database cannot be opened: \(error)")
        }
        guard verdict == ["ok"] else {
            throw BackupError("the backup's database is damaged: " + verdict.prefix(3).joined(separator: "; "))
        }
    }
}
