import Foundation
import Testing

/// An LMS's webhook endpoint (scripts/dev/webhook_receiver.py, in a process of its own so
/// that this busy test process is never why a delivery was late): `/hook` answers 200 (500
/// to the first `refusals` calls), `/redirect` answers 307 to `/hook`; it logs every call.
final class WebhookReceiver: @unchecked Sendable {
    // @unchecked: set once in init, read afterwards.
    let port: Int
    private let process: Process
    private let log: URL
    var base: String { "http://127.0.0.1:\(port)" }

    /// One call as it arrived.
    struct Call: Decodable {
        var path: String
        /// By lower-case name.
        var headers: [String: String]
        var body: Data

        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    init(refusals: Int = 0) throws {
        log = try Fixtures.temporaryDirectory("receiver").appendingPathComponent("calls.jsonl")
        try Data().write(to: log)
        let started = try Fixtures.startHelper("scripts/dev/webhook_receiver.py", [log.path, String(refusals)])
        process = started.process
        port = try #require(Int(started.firstLine))
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// The calls so far, in order.
    func calls() throws -> [Call] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(Call.self, from: Data($0.utf8)) }
    }

    /// The paths called so far, in order.
    var paths: [String] { ((try? calls()) ?? []).map(\.path) }
}
