import EdControlPostgres
import EdControlS3
import EdControlSQLite
import EdControlStorage
import Foundation
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server the tests run against: the throwaway cluster `scripts/test.sh`
/// starts (`scripts/dev/postgres.sh`), named by `EDCONTROL_TEST_POSTGRES`. Each test gets a
/// database of its own, as each SQLite test gets a file of its own.
public enum TestPostgres {
    public struct NotRunning: Error, CustomStringConvertible {
        public var description: String {
            "EDCONTROL_TEST_POSTGRES names no PostgreSQL server: run the tests with scripts/test.sh, or start one with scripts/dev/postgres.sh start DIR and export the address it prints"
        }
    }

    /// The server's address, from the environment.
    public static func server() throws -> PostgresLocation {
        guard let url = ProcessInfo.processInfo.environment["EDCONTROL_TEST_POSTGRES"], !url.isEmpty else { throw NotRunning() }
        return try PostgresLocation(url)
    }

    /// A new, empty database on the test server.
    public static func freshDatabase(_ label: String) async throws -> PostgresLocation {
        var location = try server()
        let name = "t_" + label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20) + "_" + UUID().uuidString.prefix(8).lowercased()
        let client = PostgresClient(configuration: .init(host: location.host, port: location.port, username: location.user,
                                                         password: location.password, database: location.database, tls: .disable),
                                    backgroundLogger: Logger(label: "test.postgres"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            group.cancelAll()
        }
        location.database = name
        return location
    }

    /// Runs `body`, a server's error told in full: PostgresNIO's own description hides the
    /// server's message, which is what a failing test needs.
    public static func revealingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw ServerError(description: String(reflecting: error))
        }
    }

    public struct ServerError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A store on a new, empty database.
    public static func freshStore(_ label: String) async throws -> PostgresStore {
        try await PostgresStore.connect(try await freshDatabase(label))
    }
}

/// The S3-compatible server the tests run against: the throwaway SeaweedFS `scripts/test.sh`
/// starts (`scripts/dev/seaweedfs.sh`), its endpoint in `EDCONTROL_TEST_S3`, with the bucket
/// `edcontrol-tests`. Each test gets a prefix of its own in it (SeaweedFS gives every bucket
/// volumes of its own, so a bucket per test would exhaust them).
public enum TestS3 {
    public struct NotRunning: Error, CustomStringConvertible {
        public var description: String {
            "EDCONTROL_TEST_S3 names no S3 server: run the tests with scripts/test.sh, or start one with scripts/dev/seaweedfs.sh start DIR edcontrol-tests and export the endpoint it prints"
        }
    }

    /// The test server's fixed key pair (scripts/dev/seaweedfs.sh).
    public static let credentials = S3Credentials(accessKeyID: "edcontrol-test", secretAccessKey: "edcontrol-test-secret")
    public static let bucket = "edcontrol-tests"

    /// A new, empty place in the test bucket, as `--storage` would name it.
    public static func freshLocation(_ label: String) throws -> S3Location {
        guard let endpoint = ProcessInfo.processInfo.environment["EDCONTROL_TEST_S3"], !endpoint.isEmpty else { throw NotRunning() }
        let prefix = label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20) + "-" + UUID().uuidString.prefix(8).lowercased()
        return try S3Location("s3://\(bucket)/\(prefix)?endpoint=\(endpoint)&region=us-east-1")
    }

    /// Files in a new, empty place in the test bucket, with a scratch folder of their own.
    public static func freshFiles(_ label: String) throws -> S3Files {
        try S3Files(try freshLocation(label), credentials: credentials, scratch: try Fixtures.temporaryDirectory("s3-scratch"))
    }
}

/// The backends the service's tests run on, each fresh per test: the embedded default
/// (a SQLite file and the data folder) and the one for many machines (a PostgreSQL database
/// and a place in an S3 bucket, on the servers scripts/test.sh starts).
public enum TestBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded
    case postgresAndS3

    public var testDescription: String { self == .embedded ? "SQLite and the data folder" : "PostgreSQL and S3" }

    /// A data folder (for what stays on the machine: scratch, settings) with a new store and
    /// new files on this backend.
    public func open(_ label: String) async throws -> (data: DataDirectory, store: any EdControlStore, files: any LessonFiles) {
        let data = try DataDirectory(Fixtures.temporaryDirectory(label))
        switch self {
        case .embedded:
            return (data, try SQLiteStore(path: data.database.path), LocalFolderFiles(data))
        case .postgresAndS3:
            return (data, try await TestPostgres.revealingErrors { try await TestPostgres.freshStore(label) }, try TestS3.freshFiles(label))
        }
    }
}
