import Foundation
import PostgresNIO

/// A PostgreSQL database as `--database` names it:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
/// A password left out of the address is read from `PGPASSWORD`, as PostgreSQL's own tools
/// read it, so it need not appear in a process list.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var connectTimeoutSeconds = 10.0
    /// How long a request waits for the server (a connection, then its statements) before it
    /// is answered as unreachable: long enough for a busy server, short enough that a
    /// client is told to retry instead of hanging.
    public var requestTimeoutSeconds = 30.0

    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public init(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme?.lowercased()),
              let host = components.host, !host.isEmpty else {
            throw PostgresLocationError("--database \(url) is not a PostgreSQL address: write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw PostgresLocationError("--database \(url) names no database: add /DATABASE after the host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresLocationError("--database \(url) names no user: write postgres://USER@HOST/DATABASE")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? TLSMode.prefer.rawValue
        guard let tls = TLSMode(rawValue: mode) else {
            throw PostgresLocationError("--database \(url): sslmode \(mode) is not one of disable, prefer, require")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        self.database = database
        self.tls = tls
    }

    /// The address without its password, for messages and logs.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// One connection's settings: the check at start connects once, directly, so a server
    /// that refuses or a wrong password is told at once, not after the pool's retries.
    var connectionConfiguration: PostgresConnection.Configuration {
        get throws {
            let tls: PostgresConnection.Configuration.TLS = switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
            configuration.options.connectTimeout = .seconds(Int64(connectTimeoutSeconds))
            return configuration
        }
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch self.tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(connectTimeoutSeconds)
        return configuration
    }
}

public struct PostgresLocationError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
    init(_ description: String) { self.description = description }
}
