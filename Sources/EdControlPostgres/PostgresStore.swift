import EdControlEngine
import EdControlStorage
import Foundation
import Logging
import PostgresKit
import PostgresNIO
import Synchronization

/// The store on a PostgreSQL server, for schools that run any number of API nodes and
/// workers on many machines. It keeps the promises of the embedded store
/// (`StoreConformance`): every rule a second writer could break (one claim per job, leases,
/// attempts, a school's last admin, sign-in limits, one-time secrets) is checked by the
/// database in the statement or locked transaction that writes.
///
/// PostgresNIO's `PostgresClient` is the connection pool; rows go in and out of the same
/// Codable records as SQLite's through SQLKit (postgres-kit), columns named as there
/// (`ColumnNames`).
public final class PostgresStore: EdControlStore {
    let client: PostgresClient
    let location: PostgresLocation
    let logger: Logger
    /// How long a request waits for the server before it is answered as unreachable.
    let requestTimeoutSeconds: Double
    private let pool: Task<Void, Never>
    /// Wakes this process's idle workers when any node queues or gives back a job (LISTEN on
    /// `jobQueuedChannel`, started by the first wait).
    let queued = JobSignal()
    private let listener = Mutex<Task<Void, Never>?>(nil)

    /// Connects to the database `location` names and brings its schema to this release's
    /// (under an advisory lock, so processes starting together migrate once). Throws a
    /// `PostgresUnreachable` that says what to check when the server does not answer.
    public static func connect(_ location: PostgresLocation, logger: Logger = Logger(label: "edcontrol.postgres")) async throws -> PostgresStore {
        let store = PostgresStore(client: PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger),
                                  location: location, logger: logger)
        do {
            let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw PostgresUnreachable(location: location, underlying: error)
        }
        try await store.migrate()
        return store
    }

    private init(client: PostgresClient, location: PostgresLocation, logger: Logger) {
        self.client = client
        self.location = location
        self.logger = logger
        requestTimeoutSeconds = location.requestTimeoutSeconds
        pool = Task { await client.run() }
    }

    deinit {
        // The listener first: a listener that outlives the pool sees its connection closed.
        listener.withLock { $0?.cancel() }
        pool.cancel()
    }

    public func waitForWork(upTo seconds: Double) async {
        listenForQueuedJobs()
        await queued.wait(upTo: seconds)
    }

    /// One connection of the pool listens for as long as the process runs, and listens again
    /// if it is lost (a notification missed meanwhile waits for the waiters' timeout).
    private func listenForQueuedJobs() {
        listener.withLock { task in
            guard task == nil else { return }
            task = Task { [client, queued, logger] in
                while !Task.isCancelled {
                    do {
                        try await client.withConnection { connection in
                            try await connection.listen(on: Self.jobQueuedChannel) { notices in
                                for try await _ in notices { queued.signal() }
                            }
                        }
                    } catch {
                        // Stopped with the store (the process ending): nothing to tell.
                        guard !Task.isCancelled else { return }
                        logger.warning("not listening for queued jobs; idle workers poll until it listens again",
                                       metadata: ["error": "\(String(reflecting: error))"])
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
        }
    }

    // MARK: Running statements

    /// Statements on one pooled connection, each committed as it runs.
    func reading<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await reachingServer { [client] in
            try await client.withConnection { connection in try await body(connection.sql(queryLogLevel: nil)) }
        }
    }

    /// Statements in one transaction: all or none of their writes stay. A refusal thrown
    /// inside comes out as itself, not wrapped in PostgresNIO's `PostgresTransactionError`.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await reachingServer { [client, logger] in
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection.sql(queryLogLevel: nil)) }
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error.beginError ?? error.commitError ?? error
            }
        }
    }

    /// Runs a request against the server; a server that is away (the pool would wait for it
    /// without end) or went away during the request comes out as `Unreachable` after
    /// `requestTimeoutSeconds`, so callers answer "try again" instead of hanging. (A request
    /// cut off by the deadline as it commits may have committed: every write here can be
    /// repeated or is refused the second time.)
    private func reachingServer<T: Sendable>(_ request: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await request() }
                group.addTask {
                    try await Task.sleep(for: .seconds(self.requestTimeoutSeconds))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else { throw NoAnswer(seconds: requestTimeoutSeconds) }
                return result
            }
        } catch let error as NoAnswer {
            throw Unreachable(.database, at: location.description, reason: error.description)
        } catch let error as PSQLError where Self.meansServerAway(error) {
            throw Unreachable(.database, at: location.description, reason: "\(error.code)")
        }
    }

    /// Connection failures, and the server shutting down or refusing connections (SQLSTATE
    /// classes 08 and 57P).
    private static func meansServerAway(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed: return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")
        default: return false
        }
    }

    // MARK: Migrations

    /// Any constant names the lock; this one spells "edcontrl" in ASCII.
    static let migrationLock: Int64 = 0x6564_636F_6E74_726C

    private func migrate() async throws {
        try await client.withConnection { connection in
            let db = connection.sql(queryLogLevel: nil)
            try await db.raw("SELECT pg_advisory_lock(\(bind: Self.migrationLock))").run()
            do {
                try await db.raw("""
                    CREATE TABLE IF NOT EXISTS schema_migration (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """).run()
                let applied = Set(try await db.raw("SELECT version FROM schema_migration").all(decodingColumn: "version", as: Int.self))
                for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                    logger.info("migrating the database", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    try await connection.withTransaction(logger: logger) { connection in
                        let db = connection.sql(queryLogLevel: nil)
                        for statement in migration.statements { try await db.execute("\(unsafeRaw: statement)") }
                        try await db.execute("INSERT INTO schema_migration (version, name) VALUES (\(bind: migration.version), \(bind: migration.name))")
                    }
                }
            } catch {
                try? await db.raw("SELECT pg_advisory_unlock(\(bind: Self.migrationLock))").run()
                throw error
            }
            try await db.raw("SELECT pg_advisory_unlock(\(bind: Self.migrationLock))").run()
        }
    }

    /// The schema version this release writes.
    public static var schemaVersion: Int { PostgresSchema.migrations.last?.version ?? 0 }
}

struct NoAnswer: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "no answer within \(Int(seconds)) s" }
}

/// The server named by `--database` did not answer.
public struct PostgresUnreachable: Error, CustomStringConvertible, LocalizedError {
    public let location: PostgresLocation
    public let underlying: any Error

    public var description: String {
        let reason = (underlying as? Unreachable)?.reason ?? String(reflecting: underlying)
        return "cannot reach the PostgreSQL database at \(location) (\(reason)): check that the server runs and accepts connections there, and the user name and password"
    }
    public var errorDescription: String? { description }
}

// MARK: Records in and out

extension SQLDatabase {
    /// Rows as records, columns matched to properties as `ColumnNames` names them.
    func records<T: Decodable>(_ query: SQLQueryString, as type: T.Type = T.self) async throws -> [T] {
        try await raw(query).all(decoding: T.self, keyDecodingStrategy: .columnNames)
    }

    func record<T: Decodable>(_ query: SQLQueryString, as type: T.Type = T.self) async throws -> T? {
        try await raw(query).first(decoding: T.self, keyDecodingStrategy: .columnNames)
    }

    /// The values of one column.
    func values<T: Decodable>(_ query: SQLQueryString, as type: T.Type = T.self) async throws -> [T] {
        try await raw(query).all().map { row in try row.decode(column: row.allColumns[0], as: T.self) }
    }

    func value<T: Decodable>(_ query: SQLQueryString, as type: T.Type = T.self) async throws -> T? {
        try await values(query, as: T.self).first
    }

    func execute(_ query: SQLQueryString) async throws { try await raw(query).run() }

    /// How many rows a statement that returns one row per row it changed changed.
    func changed(_ query: SQLQueryString) async throws -> Int { try await raw(query).all().count }

    /// Inserts `record`; a nil property is left out, so its column takes its default (an identity column its next number).
    func insert(_ record: some Encodable & Sendable, into table: String) async throws {
        try await insert(into: table).model(record, keyEncodingStrategy: .columnNames).run()
    }
}

extension SQLRowDecoder.KeyDecodingStrategy {
    static let columnNames = Self.custom { path in AnyCodingKey(ColumnNames.column(path.last?.stringValue ?? "")) }
}

extension SQLQueryEncoder.KeyEncodingStrategy {
    static let columnNames = Self.custom { path in AnyCodingKey(ColumnNames.column(path.last?.stringValue ?? "")) }
}
