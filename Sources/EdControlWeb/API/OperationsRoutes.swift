import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird
import Prometheus

/// For operators: liveness, readiness (the database and the files answer, the models are installed), Prometheus metrics, and the API's own description.
struct OperationsRoutes {
    let readiness: Readiness
    let metrics: MetricsEndpoint

    func add(to router: Router<APIContext>) {
        // No token: load balancers and orchestrators probe it.
        router.get("health") { _, _ in Readiness.Status(status: "ok") }
        // Needs a token, as everything else does: its problems name the installation's parts.
        router.get("ready") { _, context -> EditedResponse<Readiness.Status> in
            _ = try context.require(.viewer)
            return Readiness.answer(await readiness.problems(), naming: true)
        }
        router.get("api/v1/openapi.yaml") { _, context -> Response in
            _ = try context.require(.viewer)
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let document = try? Data(contentsOf: url) else {
                throw HTTPError(.internalServerError, message: "the OpenAPI document is missing from the installation; rebuild EdControl")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
        router.get("metrics") { request, _ in try await metrics.response(to: request) }
    }
}

/// Whether this process can do its work: the database and the lessons' files answer and the
/// models are installed. API nodes and worker processes answer `/ready` with it.
struct Readiness {
    let store: JobQueue
    let files: any LessonFiles
    let models: ModelRegistry

    struct Status: ResponseEncodable {
        var status: String
        var problems: [String]?
    }

    /// What keeps this process from its work; none when it is ready.
    func problems() async -> [String] {
        var problems: [String] = []
        do { _ = try await store.jobCounts() } catch { problems.append("the database cannot be read: \(error)") }
        do { _ = try await files.info(.uploads) } catch { problems.append("the lessons' files cannot be reached: \(error)") }
        // Presence only: checksums are verified when an analysis loads the models.
        for entry in models.manifest.models where !FileManager.default.fileExists(atPath: models.directory.appendingPathComponent(entry.file).path) {
            problems.append("model \(entry.id) is missing; run scripts/setup.sh")
        }
        return problems
    }

    /// 200 when ready, 503 when not; the problems named only to a caller who may see them.
    static func answer(_ problems: [String], naming: Bool) -> EditedResponse<Status> {
        EditedResponse(status: problems.isEmpty ? .ok : .serviceUnavailable,
                       response: Status(status: problems.isEmpty ? "ready" : "not ready", problems: naming && !problems.isEmpty ? problems : nil))
    }
}

/// `/metrics` in Prometheus's text format, for the installation's metrics token only: the
/// figures cover every school.
struct MetricsEndpoint {
    let store: JobQueue
    let prometheus: PrometheusCollectorRegistry
    /// `DataDirectory.metricsToken()`.
    let token: String

    func response(to request: Request) async throws -> Response {
        let sent = TokenAuthenticator.bearerToken(request.headers[.authorization]) ?? ""
        // Compared in constant time: the token's bytes must not leak through timing.
        guard sent.utf8.count == token.utf8.count, zip(sent.utf8, token.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                            message: "the metrics cover every school: send the installation's metrics token (EDCONTROL_METRICS_TOKEN, or the file metrics.token in the process's data folder) as 'Authorization: Bearer <token>'")
        }
        ServiceMetrics.queue(try await store.jobCounts())
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: prometheus.emitToBuffer())))
    }
}
