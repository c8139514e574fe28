import EdControlEngine
import EdControlStorage
import Foundation
import GRDB

extension ShadowRun: StoredRecord { public static let databaseTableName = "shadow_run" }

extension StoredShadowResult: StoredRecord { package static let databaseTableName = "shadow_result" }

extension SQLiteStore {
    public func startShadow(_ run: ShadowRun) async throws -> ShadowRun {
        try await database.write { db in
            guard try ConfigurationVersion.filter(Column("name") == run.name).fetchCount(db) > 0 else {
                throw StoreConflict(message: "there is no configuration named \(run.name); register it first (`edcontrol models register`)")
            }
            if let latest = try ChampionChange.order(Column("id").desc).fetchOne(db), latest.name == run.name {
                throw StoreConflict(message: "\(run.name) is the champion; a shadow run tries a challenger beside it")
            }
            try Self.stopShadow(db)
            var started = run
            try started.insert(db)
            started.id = db.lastInsertedRowID
            return started
        }
    }

    public func stopShadow() async throws -> ShadowRun? {
        try await database.write { db in try Self.stopShadow(db) }
    }

    public func currentShadow() async throws -> ShadowRun? {
        try await database.read { db in try ShadowRun.filter(Column("stopped_at") == nil).fetchOne(db) }
    }

    public func shadowRuns(limit: Int) async throws -> [ShadowRun] {
        try await database.read { db in try ShadowRun.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    public func enqueueShadow(lessonID: String, schoolID: String, configuration: String, maxAttempts: Int) async throws -> Job? {
        defer { queued.signal() }  // after the row is committed
        return try await database.write { db in
            let active = try Job.filter(Column("lesson_id") == lessonID && Column("kind") == Job.Kind.shadow.rawValue
                                        && [Job.State.queued.rawValue, Job.State.running.rawValue].contains(Column("state"))).fetchCount(db)
            guard active == 0 else { return nil }
            return try Self.insertJob(lessonID: lessonID, schoolID: schoolID, kind: .shadow, configurationVersion: configuration,
                                      maxAttempts: maxAttempts, db)
        }
    }

    public func shadowResults(challenger: String) async throws -> [ShadowResult] {
        try await database.read { db in
            try StoredShadowResult.filter(Column("challenger") == challenger).order(Column("analysed_at")).fetchAll(db).map { try $0.result }
        }
    }

    @discardableResult
    private static func stopShadow(_ db: Database) throws -> ShadowRun? {
        guard var current = try ShadowRun.filter(Column("stopped_at") == nil).fetchOne(db) else { return nil }
        current.stoppedAt = Date()
        try current.update(db)
        return current
    }
}
