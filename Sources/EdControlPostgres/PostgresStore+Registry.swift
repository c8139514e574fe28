import EdControlEngine
import EdControlLab
import EdControlStorage
import Foundation
import PostgresKit

// MARK: RegistryStore

extension PostgresStore {
    public func register(_ version: ConfigurationVersion) async throws {
        try await onDuplicate {
            try await reading { db in try await db.insert(version, into: "configuration_version") }
        } then: { constraint in
            if constraint == "configuration_version_pkey" {
                throw StoreConflict(message: "a configuration named \(version.name) is already registered; versions never change: register under a new name")
            }
            let same = try? await configurationVersions().first { $0.sha256 == version.sha256 }
            throw StoreConflict(message: "this very configuration is already registered as \(same?.name ?? "another name")")
        }
    }

    public func configurationVersions() async throws -> [ConfigurationVersion] {
        try await reading { db in try await db.records("SELECT * FROM configuration_version ORDER BY registered_at DESC") }
    }

    public func configurationVersion(named name: String) async throws -> ConfigurationVersion? {
        try await reading { db in try await db.record("SELECT * FROM configuration_version WHERE name = \(bind: name)") }
    }

    public func champion() async throws -> ConfigurationVersion? {
        try await reading { db in try await Self.champion(db) }
    }

    public func promote(_ name: String, by: String, reason: String) async throws -> ChampionChange {
        try await changingChampion { db in
            guard try await db.value("SELECT name FROM configuration_version WHERE name = \(bind: name)", as: String.self) != nil else {
                throw StoreConflict(message: "there is no configuration named \(name); `edcontrol models list` shows the registered ones")
            }
            let current = try await Self.champion(db)
            guard current?.name != name else { throw StoreConflict(message: "\(name) is already the champion") }
            return try await Self.record(ChampionChange(name: name, previous: current?.name, action: .promote, changedBy: by, changedAt: Date(), reason: reason), db)
        }
    }

    public func rollback(by: String, reason: String) async throws -> ChampionChange {
        try await changingChampion { db in
            guard let current = try await Self.champion(db) else { throw StoreConflict(message: "there is no champion to roll back") }
            // The promotion that made the current champion says what it replaced.
            let promotion = try await db.record("""
                SELECT * FROM champion_change WHERE name = \(bind: current.name) AND action = \(bind: ChampionChange.Action.promote.rawValue)
                ORDER BY id DESC LIMIT 1
                """, as: ChampionChange.self)
            guard let previous = promotion?.previous else {
                throw StoreConflict(message: "\(current.name) replaced no earlier champion; promote another configuration instead")
            }
            return try await Self.record(ChampionChange(name: previous, previous: current.name, action: .rollback, changedBy: by, changedAt: Date(), reason: reason), db)
        }
    }

    /// A transaction that reads the champion and records a change, one at a time: the log
    /// stays one chain (each change's `previous` the champion it replaced) however many
    /// operators promote at once. Readers never wait for the lock.
    func changingChampion<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await transaction { db in
            try await db.execute("LOCK TABLE champion_change IN SHARE ROW EXCLUSIVE MODE")
            return try await body(db)
        }
    }

    public func championChanges(limit: Int) async throws -> [ChampionChange] {
        try await reading { db in try await db.records("SELECT * FROM champion_change ORDER BY id DESC LIMIT \(bind: limit)") }
    }

    public func saveExperiment(_ experiment: ExperimentRecord) async throws {
        try await reading { db in try await db.insert(experiment, into: "experiment") }
    }

    public func experiments(limit: Int) async throws -> [ExperimentRecord] {
        try await reading { db in try await db.records("SELECT * FROM experiment ORDER BY created_at DESC LIMIT \(bind: limit)") }
    }

    static func champion(_ db: any SQLDatabase) async throws -> ConfigurationVersion? {
        try await db.record("""
            SELECT configuration_version.* FROM configuration_version
            WHERE name = (SELECT name FROM champion_change ORDER BY id DESC LIMIT 1)
            """)
    }

    private static func record(_ change: ChampionChange, _ db: any SQLDatabase) async throws -> ChampionChange {
        var change = change
        change.id = try await db.value("""
            INSERT INTO champion_change (name, previous, action, changed_by, changed_at, reason)
            VALUES (\(bind: change.name), \(bind: change.previous), \(bind: change.action.rawValue), \(bind: change.changedBy),
                    \(bind: change.changedAt), \(bind: change.reason))
            RETURNING id
            """, as: Int64.self)
        return change
    }
}

// MARK: ShadowStore

extension PostgresStore {
    public func startShadow(_ run: ShadowRun) async throws -> ShadowRun {
        // Under the champion's lock: a run never starts for a configuration being promoted.
        try await changingChampion { db in
            guard try await db.value("SELECT name FROM configuration_version WHERE name = \(bind: run.name)", as: String.self) != nil else {
                throw StoreConflict(message: "there is no configuration named \(run.name); register it first (`edcontrol models register`)")
            }
            if try await Self.champion(db)?.name == run.name {
                throw StoreConflict(message: "\(run.name) is the champion; a shadow run tries a challenger beside it")
            }
            try await db.execute("LOCK TABLE shadow_run IN SHARE ROW EXCLUSIVE MODE")
            _ = try await Self.stopShadow(db)
            var started = run
            started.id = try await db.value("""
                INSERT INTO shadow_run (name, share, started_by, started_at, stopped_at)
                VALUES (\(bind: run.name), \(bind: run.share), \(bind: run.startedBy), \(bind: run.startedAt), \(bind: run.stoppedAt))
                RETURNING id
                """, as: Int64.self)
            return started
        }
    }

    public func stopShadow() async throws -> ShadowRun? {
        try await transaction { db in try await Self.stopShadow(db) }
    }

    public func currentShadow() async throws -> ShadowRun? {
        try await reading { db in try await db.record("SELECT * FROM shadow_run WHERE stopped_at IS NULL ORDER BY id DESC LIMIT 1") }
    }

    public func shadowRuns(limit: Int) async throws -> [ShadowRun] {
        try await reading { db in try await db.records("SELECT * FROM shadow_run ORDER BY id DESC LIMIT \(bind: limit)") }
    }

    public func enqueueShadow(lessonID: String, schoolID: String, configuration: String, maxAttempts: Int) async throws -> Job? {
        // One waiting or running shadow job per lesson: the unique index decides.
        try await onDuplicate {
            try await transaction { db in
                try await Self.insertJob(lessonID: lessonID, schoolID: schoolID, kind: .shadow, configurationVersion: configuration,
                                         maxAttempts: maxAttempts, db)
            }
        } then: { _ in nil }
    }

    public func shadowResults(challenger: String) async throws -> [ShadowResult] {
        try await reading { db in
            try await db.records("SELECT * FROM shadow_result WHERE challenger = \(bind: challenger) ORDER BY analysed_at", as: StoredShadowResult.self)
                .map { try $0.result }
        }
    }

    static func saveShadowResult(_ result: ShadowResult, in db: any SQLDatabase) async throws {
        let row = try StoredShadowResult(result)
        try await db.execute("""
            INSERT INTO shadow_result (lesson_id, school_id, challenger, champion, analysed_at, champion_flag, challenger_flag,
                                       champion_incidents, challenger_incidents)
            VALUES (\(bind: row.lessonID), \(bind: row.schoolID), \(bind: row.challenger), \(bind: row.champion), \(bind: row.analysedAt),
                    \(bind: row.championFlag), \(bind: row.challengerFlag), \(bind: row.championIncidents), \(bind: row.challengerIncidents))
            ON CONFLICT (lesson_id, challenger) DO UPDATE SET champion = excluded.champion, analysed_at = excluded.analysed_at,
                champion_flag = excluded.champion_flag, challenger_flag = excluded.challenger_flag,
                champion_incidents = excluded.champion_incidents, challenger_incidents = excluded.challenger_incidents
            """)
    }

    private static func stopShadow(_ db: any SQLDatabase) async throws -> ShadowRun? {
        try await db.record("UPDATE shadow_run SET stopped_at = \(bind: Date()) WHERE stopped_at IS NULL RETURNING *")
    }
}

// MARK: MonitoringStore

extension PostgresStore {
    public func saveFeatures(_ features: LessonFeatures, lessonID: String, schoolID: String, analysedAt: Date) async throws {
        let json = String(decoding: try JSONEncoder().encode(features), as: UTF8.self)
        try await reading { db in
            try await db.execute("""
                INSERT INTO lesson_features (lesson_id, school_id, analysed_at, features)
                VALUES (\(bind: lessonID), \(bind: schoolID), \(bind: analysedAt), \(bind: json))
                ON CONFLICT (lesson_id) DO UPDATE SET school_id = excluded.school_id, analysed_at = excluded.analysed_at, features = excluded.features
                """)
        }
    }

    public func features(schoolID: String?, analysedIn interval: DateInterval) async throws -> [LessonFeatures] {
        try await reading { db in
            let school: SQLQueryString = schoolID.map { "AND school_id = \(bind: $0)" } ?? ""
            return try await db.records("""
                SELECT * FROM lesson_features WHERE analysed_at >= \(bind: interval.start) AND analysed_at < \(bind: interval.end) \(school)
                ORDER BY analysed_at
                """, as: StoredLessonFeatures.self)
                .compactMap { try? JSONDecoder().decode(LessonFeatures.self, from: Data($0.features.utf8)) }
        }
    }
}
