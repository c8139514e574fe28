import EdControlEngine
import EdControlService
import EdControlStorage
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// A worker process's own small HTTP server, for its orchestrator and Prometheus: `/health`
/// (alive), `/ready` (the database, the files and the models) and `/metrics` (its jobs,
/// stage seconds and failures, labelled with each worker's id). No API and no pages: those
/// are the API nodes'.
public enum WorkerStatusServer {
    /// The server as a service to run beside the workers; `onListening` gets its address
    /// (the port may have been 0: any free port).
    public static func service(host: String, port: Int, store: JobQueue, files: any LessonFiles, models: ModelRegistry,
                               prometheus: PrometheusCollectorRegistry, metricsToken: String, logger: Logger,
                               onListening: @escaping @Sendable (String) -> Void) -> some Service {
        let readiness = Readiness(store: store, files: files, models: models)
        let metrics = MetricsEndpoint(store: store, prometheus: prometheus, token: metricsToken)
        let router = Router(context: APIContext.self)
        router.get("health") { _, _ in Readiness.Status(status: "ok") }
        // Without a token, unlike an API node's: an orchestrator's probe sends none, so the
        // answer names no part of the installation (the problems go to the log).
        router.get("ready") { _, _ in
            let problems = await readiness.problems()
            if !problems.isEmpty { logger.warning("not ready", metadata: ["problems": "\(problems)"]) }
            return Readiness.answer(problems, naming: false)
        }
        router.get("metrics") { request, _ in try await metrics.response(to: request) }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "EdControl worker"),
                           onServerRunning: { channel in onListening("http://\(host):\(channel.localAddress?.port ?? port)") },
                           logger: logger)
    }
}
