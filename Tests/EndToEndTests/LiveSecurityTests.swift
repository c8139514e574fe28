@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
@testable import EdControlEngine
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// The attacks that need a real server process: webhook deliveries and connections that
/// stall.
@Suite("Security, against a running server")
struct LiveSecurityTests {
    /// Password guessing is throttled per account and per address, against a server process
    /// (in the test process the other suites' work starved the in-process server past the
    /// test client's 15-s read timeout).
    @Test func signInIsThrottledPerAccountAndPerAddress() async throws {
        let server = try RunningServer(arguments: ["--workers", "0"])
        let password = "a correct password"
        for name in ["anna", "boris"] {
            let made = try Fixtures.run(Fixtures.edcontrol, ["user", "create", "--data", server.data.path, "--school", "School A",
                                                             "--email", "\(name)@school.org", "--role", "manager", "--password", password])
            #expect(made.status == 0, "\(made.stderr)")
        }
        // The guessing runs on a thread of its own: in this process the other suites' work
        // can keep Swift concurrency's threads busy for minutes, long enough for the first
        // failures to leave the 15-minute window (as happened in one CI run).
        struct Replies: Sendable {
            var wrong: [Int] = [], locked: RunningServer.Reply?, lockedRightPassword = 0, other: RunningServer.Reply?, otherAfterAddress = 0
            var sinceFirst: TimeInterval = 0
        }
        let replies = try await onOwnThread { [server] in
            func signIn(_ email: String, _ password: String) throws -> RunningServer.Reply {
                try server.requestOnThisThread("POST", "/sign-in", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                               body: Data("email=\(email)&password=\(password.replacingOccurrences(of: " ", with: "+"))".utf8))
            }
            var replies = Replies()
            // The throttle counts by the connected address (loopback here).
            let firstAttempt = Date()
            replies.wrong = try (1...5).map { try signIn("anna@school.org", "wrong \($0)").status }
            replies.locked = try signIn("anna@school.org", "wrong 6")
            replies.sinceFirst = Date().timeIntervalSince(firstAttempt)
            replies.lockedRightPassword = try signIn("anna@school.org", password).status
            replies.other = try signIn("boris@school.org", password)
            for attempt in 1...15 { _ = try signIn("nobody\(attempt)@school.org", "guess") }
            replies.otherAfterAddress = try signIn("boris@school.org", password).status
            return replies
        }
        #expect(replies.wrong == [401, 401, 401, 401, 401])
        let locked = try #require(replies.locked)
        #expect(locked.status == 429 && locked.text.contains("Too many failed sign-ins"))
        // Free again 15 minutes after the first failure (however slowly a loaded machine answered them).
        let retryAfter = try #require(locked.headers["retry-after"].flatMap(Int.init))
        #expect(retryAfter <= 900 && Double(retryAfter) >= 900 - replies.sinceFirst - 1, "\(retryAfter) s, \(replies.sinceFirst) s after the first attempt")
        // Locked means locked: the right password does not get through (no guessing oracle), and costs no bcrypt check.
        #expect(replies.lockedRightPassword == 429)
        // Another account is still open from this address…
        let other = try #require(replies.other)
        #expect(other.status == 303 && other.headers["set-cookie"] != nil, "\(other.status)")
        // …until the address has failed 20 times (5 as anna, 15 as nobody).
        #expect(replies.otherAfterAddress == 429)
        // A new password from the administrator lifts the account's lock (not the address's).
        let renewed = try Fixtures.run(Fixtures.edcontrol, ["user", "set-password", "--data", server.data.path, "--email", "anna@school.org",
                                                            "--password", "another good password"])
        #expect(renewed.status == 0, "\(renewed.stderr)")
        // (A limit of one attempt is refused while any failure of the account is left.)
        let store = try SQLiteStore(path: server.data.appendingPathComponent("edcontrol.sqlite").path)
        let lifted = try await store.countSignInAttempt([SignInLimit(key: "account:anna@school.org", attempts: 1)], at: Date(), window: 900)
        if case .refused = lifted { Issue.record("the account's failures are left after a new password") }
    }

    /// Wrong passwords sent at once are each counted before their password is checked, so no
    /// more of them are checked than the limit allows.
    @Test func concurrentSignInsCannotRaceTheThrottle() async throws {
        let server = try RunningServer(arguments: ["--workers", "0"])
        let made = try Fixtures.run(Fixtures.edcontrol, ["user", "create", "--data", server.data.path, "--school", "School A",
                                                         "--email", "anna@school.org", "--role", "manager", "--password", "a correct password"])
        #expect(made.status == 0, "\(made.stderr)")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 12
        let session = URLSession(configuration: configuration)
        let url = server.url.appendingPathComponent("sign-in")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for attempt in 1...12 {
                group.addTask {
                    var request = URLRequest(url: url)
                    request.httpMethod = "POST"
                    request.timeoutInterval = 120
                    request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
                    request.httpBody = Data("email=anna%40school.org&password=wrong+\(attempt)".utf8)
                    let (_, response) = try await session.data(for: request)
                    return (response as? HTTPURLResponse)?.statusCode ?? 0
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 401 }.count == 5 && statuses.filter { $0 == 429 }.count == 7, "\(statuses.sorted())")
    }

    /// An upload that fails keeps its meaning (408 too slow, 413 too large also when chunked,
    /// 400 cut short), never 500, and leaves nothing in uploads/. Against a server process:
    /// in this process the other suites' work would slow the server's reading and blur "slow".
    @Test func failedUploadsAnswerWhyNot500() async throws {
        let server = try RunningServer(arguments: ["--workers", "0", "--max-upload-mb", "1", "--min-upload-kbps", "20", "--upload-grace-seconds", "1"])
        let token = try server.token(school: "School A", role: "manager")
        let port = try #require(server.url.port)
        func head(_ framing: String) -> Data {
            Data("POST /api/v1/lessons?filename=a.wav HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\(framing)\r\n\r\n".utf8)
        }
        let kilobyte = Data(repeating: 0x61, count: 1000), block = Data(repeating: 0x61, count: 100_000)
        let chunk = Data("186a0\r\n".utf8) + block + Data("\r\n".utf8)
        let cases: [(name: String, parts: [(data: Data, pause: Double)], halfClose: Bool, status: String, words: String)] = [
            ("chunked past the limit", [(head("Transfer-Encoding: chunked"), 0)] + Array(repeating: (chunk, 0), count: 12), false, "413", "limit"),
            ("declared past the limit", [(head("Content-Length: 1200000"), 0)] + Array(repeating: (block, 0), count: 12), false, "413", "limit"),
            // 5 kB/s, sent until the server answers (or 20 s).
            ("trickling", [(head("Content-Length: 150000"), 0)] + Array(repeating: (kilobyte, 0.2), count: 100), false, "408", "slower than 20 kB"),
            ("cut short", [(head("Content-Length: 150000"), 0), (kilobyte, 0.2)], true, "400", "ended before"),
        ]
        for upload in cases {
            let answer = try Fixtures.exchange(port: port, parts: upload.parts, halfClose: upload.halfClose)
            #expect(answer.hasPrefix("HTTP/1.1 \(upload.status)") && answer.contains(upload.words),
                    "\(upload.name): \(answer.replacingOccurrences(of: "\r\n", with: " | "))")
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.data.appendingPathComponent("uploads").path).isEmpty)
        #expect(try await server.request("GET", "/health").status == 200, "the server still serves")
    }

    /// Registration refuses; a delivery checks again (the operator may have withdrawn the
    /// allowance since), and a redirect is not followed.
    @Test func deliveriesCheckTheirTargetAgainAndFollowNoRedirect() async throws {
        let receiver = try WebhookReceiver()
        let server = try RunningServer(arguments: ["--workers", "0", "--webhook-retry-seconds", "60", "--webhook-allow-network", "127.0.0.1/32"])
        let admin = try server.token(school: "School A", role: "admin")
        func register(_ path: String) async throws -> String {
            let reply = try await server.request("POST", "/api/v1/webhooks", token: admin,
                                                 body: Data(#"{"url": "\#(receiver.base)\#(path)", "secret": "a-long-shared-secret"}"#.utf8))
            #expect(reply.status == 201, "\(reply.text)")
            return try #require(try reply.json()["id"] as? String)
        }
        let refused = try await server.request("POST", "/api/v1/webhooks", token: admin,
                                               body: Data(#"{"url": "http://[::1]:\#(receiver.port)/hook", "secret": "a-long-shared-secret"}"#.utf8))
        #expect(refused.status == 422 && refused.message.contains("loopback"), "\(refused.text)")

        let redirecting = try await register("/redirect")
        let store = try SQLiteStore(path: server.data.appendingPathComponent("edcontrol.sqlite").path)
        let school = try #require(try await store.school(named: "School A", createIfMissing: false))
        try await store.queueEvent(schoolID: school.id, lessonID: "no-lesson", event: "job.succeeded") { _ in "{}" }
        let redirected = try await firstAttempt(of: redirecting, server, admin)
        #expect(redirected["lastStatus"] as? Int == 307 && redirected["state"] as? String != "delivered", "\(redirected)")
        // (A busy machine may retry it after the 60-s back-off: every call is to the redirect.)
        #expect(!receiver.paths.isEmpty && receiver.paths.allSatisfy { $0 == "/redirect" }, "the redirect's target was never called: \(receiver.paths)")

        // Restarted without the allowance: the next delivery is not even sent.
        _ = try await server.request("DELETE", "/api/v1/webhooks/\(redirecting)", token: admin)
        let hook = try await register("/hook")
        server.stop()
        try server.restart(arguments: ["--workers", "0", "--webhook-retry-seconds", "60"])
        try await store.queueEvent(schoolID: school.id, lessonID: "no-lesson", event: "job.succeeded") { _ in "{}" }
        let withdrawn = try await firstAttempt(of: hook, server, admin)
        #expect((withdrawn["lastError"] as? String)?.contains("not sent") == true && (withdrawn["lastError"] as? String)?.contains("loopback") == true,
                "\(withdrawn)")
        #expect(receiver.paths.allSatisfy { $0 == "/redirect" }, "nothing reached the receiver: \(receiver.paths)")
    }

    private func firstAttempt(of webhook: String, _ server: RunningServer, _ token: String) async throws -> [String: Any] {
        // Generous: this process's own polling can wait minutes for a thread under CI load.
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let items = try await server.request("GET", "/api/v1/webhooks/\(webhook)/deliveries", token: token).json()["items"] as? [[String: Any]] ?? []
            if let first = items.first, (first["attempts"] as? Int ?? 0) > 0 { return first }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no delivery attempt within 300 s")
        return [:]
    }

    /// Connections that send nothing, never finish their headers, or stall mid-upload are
    /// closed after the idle time-out, and the stalled upload leaves no file.
    @Test func silentAndStalledConnectionsAreClosed() async throws {
        let server = try RunningServer(arguments: ["--workers", "0", "--idle-timeout-seconds", "2"])
        let token = try server.token(school: "School A", role: "manager")
        let port = try #require(server.url.port)
        let stalls = ["", "GET /health HTTP/1.1\r\nHost: x\r\n",
                      "POST /api/v1/lessons?filename=a.wav HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 3000000000\r\n\r\n"
                        + String(repeating: "a", count: 65536)]
        for opening in stalls {
            let seconds = try Fixtures.secondsUntilClosed(port: port, sending: Data(opening.utf8), giveUpAfter: 20)
            #expect(seconds >= 1.5 && seconds < 6, "closed after \(seconds) s: \(opening.prefix(30))")
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try FileManager.default.contentsOfDirectory(atPath: server.data.appendingPathComponent("uploads").path).isEmpty)
        #expect(try await server.request("GET", "/health").status == 200, "the server still serves")
    }
}
