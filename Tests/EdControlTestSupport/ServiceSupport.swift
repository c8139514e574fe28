import Foundation
import GRDB
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A real `edcontrol serve` process on a free loopback port, over its own data directory.
final class RunningServer: @unchecked Sendable {
    // @unchecked: `process` is replaced only by `restart`, which tests call from one task.
    let data: URL
    private var arguments: [String]
    private var process: Process
    private(set) var url: URL
    /// In front of the server (one per start) when it is `validated`.
    private var proxies: [ValidatingProxy] = []

    /// Starts a server; `arguments` are added to `serve` (e.g. `--workers 0`). A `validated`
    /// server is reached through a proxy that checks every response against the API's
    /// document: `request` goes through it (`requestURL`), and
    /// `expectEveryResponseAsDocumented` reads what it found.
    init(data: URL? = nil, arguments: [String] = [], validated: Bool = false) throws {
        self.data = try data ?? Fixtures.temporaryDirectory("server")
        self.arguments = arguments
        (process, url) = try Self.start(data: self.data, arguments: arguments)
        if validated { proxies = [try ValidatingProxy(upstream: url)] }
    }

    /// Where requests go: the validating proxy, if any, or the server itself.
    var requestURL: URL { proxies.last?.url ?? url }

    /// Every response that went through the validating proxy is as the document says, and
    /// there were at least `count` of them.
    func expectEveryResponseAsDocumented(atLeast count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let checked = try proxies.flatMap { try $0.checked() }
        #expect(checked.count >= count, "only \(checked.count) responses went through the proxy", sourceLocation: sourceLocation)
        for response in checked where !((response["problems"] as? [String])?.isEmpty ?? false) {
            Issue.record("\(response["method"] ?? "") \(response["path"] ?? "") → \(response["status"] ?? ""): not as documented: \(response["problems"] ?? "")",
                         sourceLocation: sourceLocation)
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    private static func start(data: URL, arguments: [String]) throws -> (Process, URL) {
        let output = data.appendingPathComponent("server-\(UUID().uuidString.prefix(6)).out")
        let log = data.appendingPathComponent("server.log")
        try Data().write(to: output)
        if !FileManager.default.fileExists(atPath: log.path) { try Data().write(to: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.edcontrol)
        process.arguments = ["serve", "--data", data.path, "--port", "0"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        let logHandle = try FileHandle(forWritingTo: log)
        logHandle.seekToEndOfFile()  // a restarted server's log follows the first one's
        process.standardError = logHandle
        try process.run()
        // The server prints its URL once it listens.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
                return (process, URL(string: String(text[range]))!)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        let logged = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw ServerFailed(message: "edcontrol serve did not start: \(logged.suffix(2000))")
    }

    struct ServerFailed: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// A new API token for a school (made with the real `edcontrol token create`).
    func token(school: String, role: String) throws -> String {
        let result = try Fixtures.run(Fixtures.edcontrol, ["token", "create", "--data", data.path, "--school", school, "--role", role])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server with a signal and waits for it to exit.
    func stop(_ signal: Int32 = SIGTERM) {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// Sends `signal` to the server the moment a running job's stored progress reaches
    /// `progress`, then the server is waited for. The watching starts at once, on a thread
    /// of its own reading the database, so the kill lands mid-analysis even when the test's
    /// own task is kept waiting (other tests occupy Swift concurrency's shared threads).
    /// `wait()` returns the job's progress at the kill, or nil if no job got that far.
    func armSignal(_ signal: Int32, whenAJobReaches progress: Double, timeout: TimeInterval = 300) throws -> SignalWatch {
        let database = try DatabaseQueue(path: data.appendingPathComponent("edcontrol.sqlite").path)
        let watch = SignalWatch(process: process)
        let pid = process.processIdentifier
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let now = try? database.read { db in
                    try Double.fetchOne(db, sql: "SELECT progress FROM job WHERE state = 'running' AND progress >= ?", arguments: [progress])
                }
                if let now {
                    kill(pid, signal)
                    return watch.finish(now)
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
            watch.finish(nil)
        }
        return watch
    }

    final class SignalWatch: @unchecked Sendable {
        // @unchecked: `seen` is written once before `done` is signalled, read after.
        private let process: Process
        private var seen: Double?
        private let done = DispatchSemaphore(value: 0)

        init(process: Process) { self.process = process }

        fileprivate func finish(_ progress: Double?) {
            seen = progress
            done.signal()
        }

        func wait() async -> Double? {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { [self] in
                    done.wait()
                    if seen != nil { process.waitUntilExit() }
                    continuation.resume(returning: seen)
                }
            }
        }
    }

    /// Starts it again on the same data directory (on a new port), with other `serve`
    /// arguments if given.
    func restart(arguments: [String]? = nil) throws {
        if process.isRunning { stop() }
        if let arguments { self.arguments = arguments }
        (process, url) = try Self.start(data: data, arguments: self.arguments)
        if !proxies.isEmpty { proxies.append(try ValidatingProxy(upstream: url)) }
    }

    var serverLog: String { (try? String(contentsOf: data.appendingPathComponent("server.log"), encoding: .utf8)) ?? "" }

    struct Reply {
        var status: Int
        var body: Data
        var headers: [String: String]

        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(text)")
        }
        /// The `error.message` of an error reply.
        var message: String { ((try? json())?["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    /// One request. Cookies are sent only as given in `headers`, and redirects are not
    /// followed, so tests see exactly what the server answered.
    func request(_ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:],
                 body: Data? = nil, file: URL? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: path, relativeTo: requestURL)!)
        request.httpMethod = method
        request.timeoutInterval = 120
        request.httpShouldHandleCookies = false
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = Self.session
        let (data, response): (Data, URLResponse)
        if let file {
            (data, response) = try await session.upload(for: request, fromFile: file)
        } else if let body {
            (data, response) = try await session.upload(for: request, from: body)
        } else {
            (data, response) = try await session.data(for: request)
        }
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
        return Reply(status: http.statusCode, body: data, headers: headers)
    }

    /// The same request over a plain socket, answered on the calling thread: for a
    /// sequence whose timing matters, run on a thread of its own (the engine's `onOwnThread`),
    /// since awaiting URLSession needs one of Swift concurrency's shared threads, which
    /// the other suites' model work can keep busy for minutes.
    func requestOnThisThread(_ method: String, _ path: String, headers: [String: String] = [:], body: Data = Data()) throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let answer = try Fixtures.exchange(port: try #require(url.port), parts: [(Data((head + "\r\n").utf8) + body, 0)], giveUpAfter: 120)
        let parts = answer.components(separatedBy: "\r\n\r\n")
        let lines = try #require(parts.first).components(separatedBy: "\r\n")
        let status = try #require(lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) }, "no response: \(answer)")
        var replyHeaders: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            replyHeaders[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: status, body: Data(parts.dropFirst().joined(separator: "\r\n\r\n").utf8), headers: replyHeaders)
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration, delegate: RedirectRefuser(), delegateQueue: nil)
    }()

    final class RedirectRefuser: NSObject, URLSessionTaskDelegate {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    /// Polls a job until it has finished (or `timeout` passes) and returns its last state.
    /// Generous: beside the other suites' analyses on two cores a 3-minute lesson took over
    /// five minutes (CI, stop 44); the tests check what happens, not how fast.
    func waitForJob(_ id: String, token: String, timeout: TimeInterval = 900,
                    until done: ([String: Any]) -> Bool = { ["succeeded", "failed", "cancelled"].contains($0["state"] as? String ?? "") }) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let job = try await request("GET", "/api/v1/jobs/\(id)", token: token).json()
            if done(job) || Date() > deadline { return job }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

extension Fixtures {
    /// Starts one of the tests' helper scripts (scripts/dev/…) with the virtual environment's
    /// Python, and returns it once it has printed its first line (its address).
    static func startHelper(_ script: String, _ arguments: [String]) throws -> (process: Process, firstLine: String) {
        let folder = try temporaryDirectory("helper")
        let output = folder.appendingPathComponent("out"), errors = folder.appendingPathComponent("err")
        for file in [output, errors] { try Data().write(to: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repository.appendingPathComponent(script).path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            if let line = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").first {
                return (process, String(line))
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        throw RunningServer.ServerFailed(message: "\(script) did not start: \(try String(contentsOf: errors, encoding: .utf8))")
    }

    /// Sends `parts` over one TCP connection to the loopback `port`, pausing after each as
    /// it says, optionally half-closes (the client's body ends early), and returns what the
    /// server answered: one whole response, or what came before it closed (or `giveUpAfter` passed). Plain sockets: URLSession
    /// cannot trickle a body or cut it short on purpose.
    static func exchange(port: Int, parts: [(data: Data, pause: Double)], halfClose: Bool = false, giveUpAfter limit: Double = 20) throws -> String {
        let socket = try connectedSocket(port: port)
        defer { close(socket) }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Sending stops as soon as the server has answered (it may answer before the body ends).
        for part in parts {
            _ = part.data.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            Thread.sleep(forTimeInterval: part.pause)
            let count = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { answer.append(contentsOf: buffer[0..<count]); break }
            if count == 0 { break }
        }
        if halfClose { shutdown(socket, Int32(SHUT_WR)) }
        let started = Date()
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while !isWholeResponse(answer), Date().timeIntervalSince(started) < limit {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count > 0 {
                answer.append(contentsOf: buffer[0..<count])
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                break  // closed (or reset)
            }
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// Whether `data` holds a response's head and as much body as its Content-Length says.
    private static func isWholeResponse(_ data: Data) -> Bool {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return data.count - end.upperBound >= length
    }

    private static func connectedSocket(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(socket); throw POSIXError(.ECONNREFUSED) }
        return socket
    }

    /// Opens a TCP connection to the loopback `port`, sends `opening`, then nothing more,
    /// and returns how many seconds passed until the server closed the connection (or
    /// `giveUpAfter`). Plain sockets: URLSession cannot stall on purpose.
    static func secondsUntilClosed(port: Int, sending opening: Data, giveUpAfter limit: Double) throws -> Double {
        let socket = try connectedSocket(port: port)
        defer { close(socket) }
        let started = Date()
        _ = opening.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(started) < limit {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { break }  // closed (or reset)
        }
        return Date().timeIntervalSince(started)
    }
}

/// scripts/dev/validating_proxy.py in front of a server: every response it passes on is
/// checked against the API's document, and what it found is read back here.
final class ValidatingProxy: @unchecked Sendable {
    // @unchecked: set once in init, read afterwards.
    let url: URL
    private let process: Process
    private let report: URL

    static let document = Fixtures.repository.appendingPathComponent("Sources/EdControlWeb/API/openapi.yaml")

    init(upstream: URL) throws {
        report = try Fixtures.temporaryDirectory("proxy").appendingPathComponent("responses.jsonl")
        try Data().write(to: report)
        let started = try Fixtures.startHelper("scripts/dev/validating_proxy.py", [Self.document.path, upstream.absoluteString, report.path])
        process = started.process
        url = try #require(URL(string: started.firstLine))
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// The responses checked so far: each one's method, path, status and problems.
    func checked() throws -> [[String: Any]] {
        try String(contentsOf: report, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }
}
