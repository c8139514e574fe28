import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The EdControl service: the HTTP API and analysis workers in one process, over the
/// embedded store (SQLite and files in one data directory).
public struct EdControlServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var workers = 1
        /// A connection that sends nothing for this long — no request, headers that never
        /// end, an upload that stalls — is closed, so idle clients cannot hold connections and
        /// files open.
        public var idleTimeoutSeconds = 30.0
        public var lessons = LessonService.Limits()
        public var worker = AnalysisWorker.Settings()
        public var webhooks = WebhookSender.Settings()
        public var retention = RetentionPolicy.Settings()
        /// The challenger to run in the shadow and the share of lessons it analyses; nil stops any shadow run.
        public var shadow: (name: String, share: Double)?
        /// Who started the service, for the registry's log.
        public var operatorName = "edcontrol"
        /// The address browsers and LMSs reach this server by (behind a proxy, its https
        /// URL): where LMS launches are posted back to, and whether cookies are Secure.
        public var publicURL: URL?

        public init() {}
    }

    let settings: Settings
    let data: DataDirectory
    let store: EdControlStore
    let files: any LessonFiles
    let models: ModelRegistry
    let prometheus: PrometheusCollectorRegistry
    let logger: Logger
    let reports: ReportCache
    /// The owner of every lesson's life in this process, shared by routes, pages and workers.
    let lessons: LessonService

    /// `files` nil keeps the lessons' files in the data folder.
    public init(settings: Settings, data: DataDirectory, store: EdControlStore, files: (any LessonFiles)? = nil, models: ModelRegistry,
                prometheus: PrometheusCollectorRegistry, logger: Logger = Logger(label: "edcontrol.server")) {
        self.settings = settings
        self.data = data
        self.store = store
        let files = files ?? LocalFolderFiles(data)
        self.files = files
        self.models = models
        self.prometheus = prometheus
        self.logger = logger
        reports = ReportCache(files: files)
        lessons = LessonService(store: store, files: files, limits: settings.lessons, reports: reports, logger: logger)
    }

    /// Workers named after this host and process, so a job's `workerId` says where it ran.
    public static func workers(count: Int, lessons: LessonService, models: ModelRegistry,
                               settings: AnalysisWorker.Settings, logger: Logger) -> [AnalysisWorker] {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        return (0..<count).map {
            AnalysisWorker(id: "\(host)-\(pid)-\($0 + 1)", lessons: lessons, models: models, settings: settings, logger: logger)
        }
    }

    /// The champion must be usable before workers take jobs: on a fresh installation the
    /// built-in configuration becomes it; one whose models are no longer installed stops the
    /// start with what to do, rather than failing every analysis.
    public static func checkChampion(store: EdControlStore, models: ModelRegistry) async throws {
        let registry = ConfigurationRegistry(store: store, models: models)
        let champion = try await registry.champion()
        do {
            try registry.checkInstalled(champion.configuration)
        } catch {
            throw ConfigurationError("""
                the champion configuration \(champion.name) cannot run: \((error as? LocalizedError)?.errorDescription ?? "\(error)")
                Register one for the installed models and promote it: `edcontrol config > current.json`,                 `edcontrol models register NAME --config current.json --reason …`, `edcontrol models promote NAME --reason …`.
                """)
        }
    }

    /// Starts the shadow run the settings ask for (kept as it is when it already runs), or
    /// stops the current one when they ask for none.
    func startShadowRun() async throws {
        guard let shadow = settings.shadow else {
            if let stopped = try await store.stopShadow() {
                logger.notice("shadow run stopped: the service started without --shadow", metadata: ["challenger": "\(stopped.name)"])
            }
            return
        }
        do {
            _ = try await ConfigurationRegistry(store: store, models: models).installedConfiguration(named: shadow.name)
        } catch {
            throw ConfigurationError("--shadow \(shadow.name) cannot run: \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
        }
        if let current = try await store.currentShadow(), current.name == shadow.name, current.share == shadow.share { return }
        do {
            let run = try await store.startShadow(ShadowRun(name: shadow.name, share: shadow.share, startedBy: settings.operatorName))
            logger.notice("shadow run started", metadata: ["challenger": "\(run.name)", "share": "\(run.share)"])
        } catch let conflict as StoreConflict {
            throw ConfigurationError("--shadow \(shadow.name): \(conflict.message)")
        }
    }

    /// Serves until SIGTERM or SIGINT, then stops taking jobs, gives running ones back to
    /// the queue and closes connections. `onListening` gets the bound address (the port
    /// may have been 0: any free port).
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        try data.makePrivate(logger: logger)
        try await lessons.sweep()
        try await lessons.refreshOutdatedSummaries()
        try await Self.checkChampion(store: store, models: models)
        try await startShadowRun()
        var services: [any Service] = Self.workers(count: settings.workers, lessons: lessons, models: models,
                                                   settings: settings.worker, logger: logger)
        services.append(WebhookSender(store: store, settings: settings.webhooks, logger: logger))
        services.append(DriftGauges(store: store, logger: logger))
        if settings.retention.days != nil {
            services.append(RetentionPolicy(lessons: lessons, settings: settings.retention, logger: logger))
        }
        let application = Application(
            router: try router(),
            server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(settings.idleTimeoutSeconds * 1000)))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "EdControl"),
            services: services,
            onServerRunning: { [settings] channel in
                onListening("http://\(settings.host):\(channel.localAddress?.port ?? settings.port)")
            },
            logger: logger)
        try await application.runService()
    }

    func router() throws -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: RequestIDMiddleware())
        let pages = try PageRenderer()
        router.add(middleware: PageErrorMiddleware(pages: pages, store: store))
        router.add(middleware: RefusalMiddleware(pages: pages))
        router.add(middleware: TokenAuthenticator(store: store))
        router.add(middleware: SessionAuthenticator(store: store))
        let lmsRequests = LMSRequests(targets: settings.webhooks.targets)
        let launches = LTILaunches(store: store, logger: logger, fetch: lmsRequests.get)
        router.add(middleware: LMSFrameMiddleware(store: store))
        LTIRoutes(launches: launches, deepLinking: LTIDeepLinking(store: store), registration: LTIDynamicRegistration(store: store, requests: lmsRequests),
                  pages: pages, publicURL: settings.publicURL).add(to: router)
        OperationsRoutes(readiness: Readiness(store: store, files: files, models: models),
                         metrics: MetricsEndpoint(store: store, prometheus: prometheus, token: try data.metricsToken())).add(to: router)
        let api = router.group("api/v1")
        LessonRoutes(store: store, files: files, lessons: lessons).add(to: api)
        JobRoutes(store: store, lessons: lessons).add(to: api)
        TeacherRoutes(store: store, lessons: lessons).add(to: api)
        WebhookRoutes(store: store, targets: settings.webhooks.targets).add(to: api)
        TokenRoutes(store: store).add(to: api)
        LTIPlatformRoutes(store: store).add(to: api)
        ReviewRoutes(store: store, lessons: lessons).add(to: api)
        TranscriptRoutes(store: store).add(to: api)
        AuditRoutes(store: store).add(to: api)
        MonitoringRoutes(monitor: DriftMonitor(store: store)).add(to: api)
        RegistryRoutes(store: store).add(to: api)
        PilotRoutes(reporter: PilotReporter(store: store, files: files)).add(to: api)
        Dashboard(store: store, files: files, pages: pages, reports: reports, lessons: lessons, models: models, lmsRequests: lmsRequests,
                  publicURL: settings.publicURL).add(to: router)
        return router
    }
}
