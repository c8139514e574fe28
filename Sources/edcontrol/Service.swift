import ArgumentParser
import EdControlBackends
import EdControlEngine
import EdControlService
import EdControlStorage
import EdControlWeb
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Where the service keeps its data, as the service commands take it.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory: recordings, results and (unless --database says otherwise) the database.")
    var data = "edcontrol-data"

    @Option(name: .long, help: "The database: sqlite:PATH (default: edcontrol.sqlite in --data) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (the password may come from PGPASSWORD).")
    var database: String?

    @Option(name: .long, help: ArgumentHelp("Where lessons' files live: the data folder (default) or s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION.",
                                            discussion: "The bucket's keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)."))
    var storage: String?

    func backend() async throws -> Backend {
        let directory = try DataDirectory(URL(fileURLWithPath: data))
        let (location, files) = try reportingErrors { (try DatabaseLocation(database, data: directory), try StorageLocation(storage)) }
        return try await reportingErrors { try await Backend.open(data: directory, database: location, storage: files) }
    }

    func open() async throws -> (DataDirectory, any EdControlStore) {
        let backend = try await backend()
        return (backend.data, backend.store)
    }
}

/// How workers hold their jobs, as both service commands take it.
struct LeaseOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds a worker's claim on a job lasts without a heartbeat; a job whose worker died is taken up again after this.")
    var leaseSeconds = 30.0

    var workerSettings: AnalysisWorker.Settings {
        var settings = AnalysisWorker.Settings()
        settings.leaseSeconds = max(1, leaseSeconds)
        settings.heartbeatSeconds = min(settings.heartbeatSeconds, settings.leaseSeconds / 3)
        return settings
    }
}

/// Service logs are at info level unless EDCONTROL_LOG_LEVEL says otherwise.
private func serviceLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["EDCONTROL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

/// Prometheus as the swift-metrics backend, once per process.
private func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API and analysis workers (SQLite and local files in --data unless --database and --storage say otherwise).")

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0: any free port; the URL is printed).")
    var port = 8080

    @Option(name: .long, help: "Analysis workers in this process (0: only serve; run `edcontrol worker` elsewhere).")
    var workers = 1

    @Option(name: .long, help: "Largest upload accepted, in megabytes.")
    var maxUploadMb = 4000

    @Option(name: .long, help: "Close a connection that sends nothing (no request, unfinished headers, a stalled upload) for this many seconds.")
    var idleTimeoutSeconds = 30.0

    @Option(name: .long, help: "Stop an upload that has come slower than this (kB/s) on average after its first --upload-grace-seconds.")
    var minUploadKbps = 2.0

    @Option(name: .long, help: "Seconds an upload may take before its average speed is checked.")
    var uploadGraceSeconds = 60.0

    @Option(name: .long, help: ArgumentHelp("A private network webhooks may be sent to (an LMS on the school's own network), such as 10.1.2.0/24; repeatable.",
                                            discussion: "Webhooks go only to public addresses otherwise."))
    var webhookAllowNetwork: [String] = []

    @Option(name: .long, help: "Seconds before the first retry of a failed webhook delivery (doubling after each).")
    var webhookRetrySeconds = 5.0

    @Option(name: .long, help: "Delete recordings this many days after upload, keeping their reports (default: keep them).")
    var retentionDays: Double?

    @Option(name: .long, help: "How often the retention policy looks for recordings to delete, in seconds.")
    var retentionCheckSeconds = 3600.0

    @Option(name: .long, help: ArgumentHelp("A registered challenger configuration that also analyses a share of the lessons, its results kept apart (never shown to schools or sent by webhook).",
                                            discussion: "The Models page compares it with the champion. Starting without --shadow stops the run."))
    var shadow: String?

    @Option(name: .long, help: "The share of analysed lessons the --shadow challenger also analyses (0–1).")
    var shadowShare = 0.2

    @Option(name: .long, help: ArgumentHelp("The address browsers and LMSs reach this server by, such as https://edcontrol.school.example behind a proxy: LMS launches come back to it, and with https the session cookie works inside the LMS's frame.",
                                            valueName: "url"))
    var publicURL: String?

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var lease: LeaseOptions
    @OptionGroup var models: ModelOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        guard (0...64).contains(workers) else { throw ValidationError("--workers must be 0–64") }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false, url.path.isEmpty || url.path == "/" else {
                throw ValidationError("--public-url must be the server's http or https address without a path, such as https://edcontrol.school.example")
            }
        }
        guard maxUploadMb > 0 else { throw ValidationError("--max-upload-mb must be positive") }
        guard shadowShare > 0, shadowShare <= 1 else { throw ValidationError("--shadow-share must be more than 0 and at most 1, such as 0.2") }
        for network in webhookAllowNetwork where IPNetwork(network) == nil {
            throw ValidationError("--webhook-allow-network \(network) is not an address block such as 10.1.2.0/24 or fd00:1::/64")
        }
    }

    func run() async throws {
        let registry = try reportingErrors { try models.registry() }
        let backend = try await dataOptions.backend()
        let (data, store) = (backend.data, backend.store)
        var settings = EdControlServer.Settings()
        settings.host = host
        settings.port = port
        settings.workers = workers
        settings.idleTimeoutSeconds = max(1, idleTimeoutSeconds)
        settings.lessons.maxUploadBytes = Int64(maxUploadMb) * 1_000_000
        settings.lessons.minimumUploadBytesPerSecond = max(0, minUploadKbps) * 1000
        settings.lessons.uploadGraceSeconds = max(1, uploadGraceSeconds)
        settings.worker = lease.workerSettings
        settings.webhooks.firstRetrySeconds = max(0.1, webhookRetrySeconds)
        settings.webhooks.targets = WebhookTargetPolicy(allowedNetworks: webhookAllowNetwork.compactMap(IPNetwork.init))
        settings.retention.days = retentionDays.map { max(0, $0) }
        settings.retention.checkEverySeconds = max(1, retentionCheckSeconds)
        settings.shadow = shadow.map { ($0, shadowShare) }
        settings.operatorName = commandUser
        settings.publicURL = publicURL.flatMap { URL(string: $0.hasSuffix("/") ? String($0.dropLast()) : $0) }
        let server = EdControlServer(settings: settings, data: data, store: store, files: backend.files, models: registry,
                                     prometheus: bootstrapMetrics(), logger: serviceLogger("edcontrol.server"))
        try await refusals { try await server.run { url in
            // Unbuffered, so a supervisor (or a test) reading the output sees it at once.
            FileHandle.standardOutput.write(Data("EdControl is listening on \(url) (data in \(data.root.path), \(workers) worker\(workers == 1 ? "" : "s"))\n".utf8))
        } }
    }
}

struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run analysis workers only: against the same --data as a server on this machine, or on any machine against the server's --database and --storage.")

    @Option(name: .long, help: "Workers in this process.")
    var workers = 1

    @Option(name: .long, help: ArgumentHelp("Serve /health, /ready and /metrics (this process's jobs, stage seconds and failures per worker) on this port (0: any free port; the URL is printed).",
                                            discussion: "/metrics takes the metrics token: EDCONTROL_METRICS_TOKEN, or the file metrics.token in --data."))
    var metricsPort: Int?

    @Option(name: .long, help: "Address the --metrics-port server listens on.")
    var metricsHost = "127.0.0.1"

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var lease: LeaseOptions
    @OptionGroup var models: ModelOptions

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 0–65535") }
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be 1–64") }
    }

    func run() async throws {
        let registry = try reportingErrors { try models.registry() }
        let backend = try await dataOptions.backend()
        let (data, store) = (backend.data, backend.store)
        try await refusals { try await EdControlServer.checkChampion(store: store, models: registry) }
        let prometheus = bootstrapMetrics()
        let logger = serviceLogger("edcontrol.worker")
        try data.makePrivate(logger: logger)
        var services: [any Service] = EdControlServer.workers(count: workers, lessons: LessonService(store: store, files: backend.files, logger: logger),
                                                             models: registry, settings: lease.workerSettings, logger: logger)
        if let metricsPort {
            services.append(WorkerStatusServer.service(host: metricsHost, port: metricsPort, store: store, files: backend.files, models: registry,
                                                       prometheus: prometheus, metricsToken: try data.metricsToken(), logger: logger) { url in
                FileHandle.standardOutput.write(Data("EdControl worker status on \(url) (/health, /ready, /metrics)\n".utf8))
            })
        }
        let group = ServiceGroup(configuration: .init(services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "API tokens: create, list, revoke.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token for a school (the school is created if new); the token is printed once.")

        @Option(name: .long, help: "School (tenant) name.")
        var school: String

        @Option(name: .long, help: "admin, manager or viewer.")
        var role: String

        @Option(name: .long, help: "Who or what the token is for, e.g. 'LMS integration'.")
        var name = "command line"

        @Option(name: .long, help: "Days until the token stops working by itself (default: valid until revoked).")
        var expiresInDays: Int?

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin, manager or viewer") }
            let name = school.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { throw ValidationError("--school must not be empty") }
            let (_, store) = try await dataOptions.open()
            guard let school = try await store.school(named: name, createIfMissing: true) else { return }
            do {
                let (secret, _) = try await APITokens.create(in: store, schoolID: school.id, name: self.name, role: role,
                                                             expiresInDays: expiresInDays, by: "command line")
                print(secret)
            } catch let refusal as APITokens.Refusal {
                throw ValidationError(refusal.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a school's API tokens: id, role, name, made, expiry, last use (never the secrets).")

        @Option(name: .long, help: "School (tenant) name.")
        var school: String

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            guard let school = try await store.school(named: school, createIfMissing: false) else { throw ValidationError("there is no school \(self.school)") }
            let time = { (date: Date?) in date.map { ISO8601DateFormatter().string(from: $0) } ?? "-" }
            for token in try await store.tokens(schoolID: school.id) {
                print([token.id, token.role.rawValue, "made \(time(token.createdAt))", token.isExpired() ? "EXPIRED \(time(token.expiresAt))" : "expires \(time(token.expiresAt))",
                       "last used \(time(token.lastUsedAt))", token.name].joined(separator: "  "))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API token (by the id `token list` shows): refused from its next request on.")

        @Argument(help: "The token's id.")
        var id: String

        @Option(name: .long, help: "School (tenant) name.")
        var school: String

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            guard let school = try await store.school(named: school, createIfMissing: false),
                  let token = try await APITokens.revoke(in: store, id: id, schoolID: school.id, by: "command line") else {
                throw ValidationError("there is no token \(id) in \(self.school); `edcontrol token list --school NAME` shows the ids")
            }
            print("revoked \(token.role.rawValue) token '\(token.name)'")
        }
    }
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Dashboard users.", subcommands: [Create.self, SetPassword.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a dashboard user of a school (the school is created if new).",
            discussion: "Without --password a random one is made and printed once. EDCONTROL_PASSWORD, if set, is used instead of --password (keeps it out of the shell history).")

        @Option(name: .long, help: "School (tenant) name.")
        var school: String

        @Option(name: .long, help: "The email the user signs in with.")
        var email: String

        @Option(name: .long, help: "admin, manager or viewer.")
        var role: String

        @Option(name: .long, help: "The user's name as the audit log shows it (default: the email).")
        var name: String?

        @Option(name: .long, help: "The password (at least 10 characters).")
        var password: String?

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin, manager or viewer") }
            let (_, store) = try await dataOptions.open()
            let chosen = ProcessInfo.processInfo.environment["EDCONTROL_PASSWORD"] ?? password
            let password = chosen ?? UserAccounts.randomPassword()
            do {
                let user = try await UserAccounts.create(in: store, school: school, email: email, name: name ?? email, role: role, password: password)
                print("created \(user.role.rawValue) \(user.email)" + (chosen == nil ? " with the password \(password)" : ""))
            } catch let refusal as UserAccounts.Refusal {
                throw ValidationError(refusal.description)
            }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Give a dashboard user a new password: signs them out everywhere and lifts a sign-in lock after failed attempts.",
            discussion: "Without --password a random one is made and printed once. EDCONTROL_PASSWORD, if set, is used instead of --password.")

        @Option(name: .long, help: "The email the user signs in with.")
        var email: String

        @Option(name: .long, help: "The user's school, needed when the email is a user of several schools.")
        var school: String?

        @Option(name: .long, help: "The new password (at least 10 characters).")
        var password: String?

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            let chosen = ProcessInfo.processInfo.environment["EDCONTROL_PASSWORD"] ?? password
            let password = chosen ?? UserAccounts.randomPassword()
            do {
                try await UserAccounts.setPassword(in: store, user: UserAccounts.user(in: store, email: email, school: school), password: password)
                print("new password set for \(email.lowercased())" + (chosen == nil ? ": \(password)" : ""))
            } catch let refusal as UserAccounts.Refusal {
                throw ValidationError(refusal.description)
            }
        }
    }
}
