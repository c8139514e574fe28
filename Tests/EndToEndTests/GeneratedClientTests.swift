@testable import EdControlTestSupport
import AsyncHTTPClient
import Crypto
import Foundation
import LessonSynthesis
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import HTTPTypes
import Testing

/// The API's contract as integrators meet it: clients generated from its OpenAPI document by
/// two independent generators (Apple's swift-openapi-generator, committed in GeneratedClient/,
/// and PyPI's openapi-python-client, generated here) each take a lesson through its whole life
/// on a live server, through a proxy that checks every response against the document
/// (openapi-core: status, headers and body).
@Suite("Generated clients")
struct GeneratedClientTests {
    @Test func theSwiftClientWasGeneratedFromThisDocument() throws {
        func sha256(_ path: String) throws -> String {
            SHA256.hash(data: try Data(contentsOf: Fixtures.repository.appendingPathComponent(path))).map { String(format: "%02x", $0) }.joined()
        }
        let stale = "Tests/EndToEndTests/GeneratedClient is stale: run scripts/generate-swift-client.sh"
        #expect(try sha256("Sources/EdControlWeb/API/openapi.yaml") == GeneratedClientSource.documentSHA256, "\(stale)")
        #expect(try sha256("scripts/openapi-generator-config.yaml") == GeneratedClientSource.configurationSHA256, "\(stale)")
    }

    /// With the Swift client: a webhook, a teacher, the recording streamed from disk, the job
    /// followed, the report and transcript read, the first incident confirmed, the signed
    /// webhook verified with the shared secret, the lesson erased.
    @Test func theSwiftClientTakesALessonThroughItsLife() async throws {
        let (server, token) = try Self.liveServer()
        let receiver = try WebhookReceiver()
        let hookURL = receiver.base + "/hook"
        let client = Client(serverURL: server.requestURL, transport: AsyncHTTPClientTransport(configuration: .init(timeout: .minutes(10))),
                            middlewares: [BearerToken(token: token)])

        let secret = "a shared secret of the school's LMS"
        let webhook = try await client.createWebhook(body: .json(.init(url: hookURL, secret: secret))).created.body.json
        let teacher = try await client.createTeacher(body: .json(.init(name: "Анна Петрова"))).created.body.json
        let recording = try Fixtures.filmedLessonWithIncidents(name: "lesson").media
        let upload = try await client.uploadLesson(query: .init(filename: "lesson.mp4", title: "Algebra 7B", teacherId: teacher.id),
                                                   body: .binary(try Self.streamed(recording))).created.body.json
        let lesson = upload.lesson.id
        let jobID = try #require(upload.job?.id)
        var job = try await client.getJob(path: .init(job: jobID)).ok.body.json
        let deadline = Date().addingTimeInterval(900)
        while job.state == .queued || job.state == .running, Date() < deadline {
            try await Task.sleep(for: .milliseconds(500))
            job = try await client.getJob(path: .init(job: jobID)).ok.body.json
        }
        #expect(job.state == .succeeded, "\(server.serverLog.suffix(2000))")

        let report = try await client.getReport(path: .init(lesson: lesson)).ok.body.json
        let incidents = try #require(report.value["incidents"] as? [Any])
        #expect(!incidents.isEmpty, "the lesson has incidents to review")
        let transcript = try await client.getTranscriptText(path: .init(lesson: lesson)).ok.body.plainText
        #expect(try await String(collecting: transcript, upTo: 1 << 20).split(separator: "\n").count > 1)
        let review = try await client.reviewIncident(path: .init(lesson: lesson, index: 0), body: .json(.init(verdict: .confirmed, note: "seen on the recording")))
        #expect(try review.created.body.json.verdict == .confirmed)
        #expect(try await client.listLessonReviews(path: .init(lesson: lesson)).ok.body.json.items.count == 1)

        // The webhook that announced the analysis is signed with the secret (checked here as the
        // document says: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`).
        let webhookDeadline = Date().addingTimeInterval(120)
        while try receiver.calls().isEmpty, Date() < webhookDeadline { try await Task.sleep(for: .milliseconds(200)) }
        let delivery = try #require(try receiver.calls().first, "a webhook arrives")
        let timestamp = try #require(delivery.header("X-EdControl-Timestamp"))
        let signed = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + delivery.body, using: SymmetricKey(data: Data(secret.utf8)))
        #expect(delivery.header("X-EdControl-Signature") == "sha256=" + signed.map { String(format: "%02x", $0) }.joined())
        let event = try #require(try JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])
        #expect(event["event"] as? String == "job.succeeded" && (event["job"] as? [String: Any])?["id"] as? String == jobID)

        // Erased: the lesson answers 404, as documented.
        _ = try await client.deleteLesson(path: .init(lesson: lesson)).noContent
        _ = try await client.getLesson(path: .init(lesson: lesson)).notFound
        _ = try await client.deleteWebhook(path: .init(webhook: webhook.id)).noContent
        try server.expectEveryResponseAsDocumented(atLeast: 12)
    }

    /// With the Python client: docs/examples/lesson_life.py, the integration guide's example,
    /// run as an integrator would, with a client generated from the document right now.
    @Test func thePythonClientTakesALessonThroughItsLife() async throws {
        let (server, token) = try Self.liveServer()
        let folder = try Fixtures.temporaryDirectory("python-client")
        let venv = Fixtures.repository.appendingPathComponent(".deps/venv/bin").path
        let path = "\(venv):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"  // its ruff formats the client
        let generated = try Fixtures.run("/usr/bin/env", ["PATH=\(path)", "\(venv)/openapi-python-client", "generate", "--path", ValidatingProxy.document.path,
                                                          "--output-path", folder.appendingPathComponent("edcontrol_client").path, "--meta", "none"])
        #expect(generated.status == 0, "\(generated.stdout)\(generated.stderr)")
        let example = Fixtures.repository.appendingPathComponent("docs/examples/lesson_life.py").path
        let life = try Fixtures.run("/usr/bin/env", ["PYTHONPATH=\(folder.path)", Fixtures.python, example, "--server", server.requestURL.absoluteString,
                                                     "--token", token, "--recording", try Fixtures.filmedLessonWithIncidents(name: "lesson").media.path])
        #expect(life.status == 0, "\(life.stderr)\n\(server.serverLog.suffix(2000))")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(life.stdout.utf8)) as? [String: Any], "\(life.stdout)")
        #expect(summary["state"] as? String == "succeeded" && (summary["incidents"] as? Int ?? 0) > 0, "\(summary)")
        #expect((summary["transcript_lines"] as? Int ?? 0) > 1 && summary["reviews"] as? [String] == ["confirmed"], "\(summary)")
        #expect(summary["webhook"] as? String == "job.succeeded" && summary["webhook_refused"] as? Int == 0, "\(summary)")
        #expect(summary["after_erasure"] as? Int == 404, "\(summary)")
        try server.expectEveryResponseAsDocumented(atLeast: 10)
    }

    // MARK: Helpers

    /// A server that may send webhooks to this machine, behind a validating proxy, and an admin
    /// token. The Swift client runs in this test process, whose shared threads the other
    /// suites' analyses can keep busy for minutes (a 40-byte body once came 30 s late), so the
    /// server's guards against slow clients are relaxed here; SecurityTests test them.
    private static func liveServer() throws -> (RunningServer, String) {
        let server = try RunningServer(arguments: ["--webhook-allow-network", "127.0.0.1/32", "--webhook-retry-seconds", "0.5",
                                                   "--idle-timeout-seconds", "900", "--min-upload-kbps", "0"], validated: true)
        return (server, try server.token(school: "School A", role: "admin"))
    }

    /// The file as a body read in 1-MB pieces while it is sent, never whole in memory.
    private static func streamed(_ file: URL) throws -> HTTPBody {
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64 ?? 0
        let handle = try FileHandle(forReadingFrom: file)
        let pieces = AsyncThrowingStream<ArraySlice<UInt8>, any Error> {
            guard let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty else {
                try handle.close()
                return nil
            }
            return ArraySlice(piece)
        }
        return HTTPBody(pieces, length: .known(size), iterationBehavior: .single)
    }
}

/// Sends the API token with every request of the generated client.
private struct BearerToken: ClientMiddleware {
    let token: String

    func intercept(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
                   next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        return try await next(request, body, baseURL)
    }
}
