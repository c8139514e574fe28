import EdControlEngine
import EdControlStorage
import Foundation
import GRDB

extension SQLiteStore {
    public func register(_ version: ConfigurationVersion) async throws {
        try await database.write { db in
            if try ConfigurationVersion.filter(Column("name") == version.name).fetchCount(db) > 0 {
                throw StoreConflict(message: "a configuration named \(version.name) is already registered; versions never change: register under a new name")
            }
            if let same = try ConfigurationVersion.filter(Column("sha256") == version.sha256).fetchOne(db) {
                throw StoreConflict(message: "this very configuration is already registered as \(same.name)")
            }
            try version.insert(db)
        }
    }

    public func configurationVersions() async throws -> [ConfigurationVersion] {
        try await database.read { db in try ConfigurationVersion.order(Column("registered_at").desc).fetchAll(db) }
    }

    public func configurationVersion(named name: String) async throws -> ConfigurationVersion? {
        try await database.read { db in try ConfigurationVersion.filter(Column("name") == name).fetchOne(db) }
    }

    public func champion() async throws -> ConfigurationVersion? {
        try await database.read { db in try Self.champion(db) }
    }

    public func promote(_ name: String, by: String, reason: String) async throws -> ChampionChange {
        try await database.write { db in
            guard try ConfigurationVersion.filter(Column("name") == name).fetchCount(db) > 0 else {
                throw StoreConflict(message: "there is no configuration named \(name); `edcontrol models list` shows the registered ones")
            }
            let current = try Self.champion(db)
            guard current?.name != name else { throw StoreConflict(message: "\(name) is already the champion") }
            return try Self.record(ChampionChange(name: name, previous: current?.name, action: .promote, changedBy: by, changedAt: Date(), reason: reason), db)
        }
    }

    public func rollback(by: String, reason: String) async throws -> ChampionChange {
        try await database.write { db in
            guard let current = try Self.champion(db) else { throw StoreConflict(message: "there is no champion to roll back") }
            // The promotion that made the current champion says what it replaced.
            let promotion = try ChampionChange.filter(Column("name") == current.name && Column("action") == ChampionChange.Action.promote.rawValue)
                .order(Column("id").desc).fetchOne(db)
            guard let previous = promotion?.previous else {
                throw StoreConflict(message: "\(current.name) replaced no earlier champion; promote another configuration instead")
            }
            return try Self.record(ChampionChange(name: previous, previous: current.name, action: .rollback, changedBy: by, changedAt: Date(), reason: reason), db)
        }
    }

    public func championChanges(limit: Int) async throws -> [ChampionChange] {
        try await database.read { db in try ChampionChange.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    public func saveExperiment(_ experiment: ExperimentRecord) async throws {
        try await database.write { db in try experiment.insert(db) }
    }

    public func experiments(limit: Int) async throws -> [ExperimentRecord] {
        try await database.read { db in try ExperimentRecord.order(Column("created_at").desc).limit(limit).fetchAll(db) }
    }

    private static func champion(_ db: Database) throws -> ConfigurationVersion? {
        guard let latest = try ChampionChange.order(Column("id").desc).fetchOne(db) else { return nil }
        return try ConfigurationVersion.filter(Column("name") == latest.name).fetchOne(db)
    }

    private static func record(_ change: ChampionChange, _ db: Database) throws -> ChampionChange {
        var change = change
        try change.insert(db)
        change.id = db.lastInsertedRowID
        return change
    }
}
