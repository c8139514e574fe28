import Foundation
import Testing

/// Headless Chromium driven through its DevTools protocol over a pipe
/// (`--remote-debugging-pipe`: commands on the browser's fd 3, replies on fd 4, each a JSON
/// message ended by a NUL byte), so tests click, type and read pages as a user's browser
/// does. One page (tab); calls block until Chromium answers.
final class Browser: @unchecked Sendable {
    // @unchecked: a test drives its browser from one task at a time.
    private let pid: pid_t
    private let commands: Int32
    private let replies: Int32
    private var received = Data()
    private var nextID = 0
    private var session = ""
    private let profile: URL

    struct Failure: Error, CustomStringConvertible { var description: String }

    init(width: Int = 1366, height: Int = 768) throws {
        profile = try Fixtures.temporaryDirectory("chromium")
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure(description: "pipe() failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        let log = profile.appendingPathComponent("chromium.log").path
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
                         "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)", "--hide-scrollbars",
                         "--autoplay-policy=no-user-gesture-required", "--mute-audio", "about:blank"]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var spawned: pid_t = 0
        let status = posix_spawnp(&spawned, "chromium", &actions, nil, &argv, environ)
        close(toBrowser[0])
        close(fromBrowser[1])
        guard status == 0 else { throw Failure(description: "could not start chromium (posix_spawn \(status)); install Debian's chromium") }
        pid = spawned
        commands = toBrowser[1]
        replies = fromBrowser[0]
        let targets = try call("Target.getTargets", session: nil)
        let infos = targets["targetInfos"] as? [[String: Any]] ?? []
        guard let page = infos.first(where: { $0["type"] as? String == "page" })?["targetId"] as? String else {
            throw Failure(description: "chromium opened no page: \(targets)")
        }
        session = try call("Target.attachToTarget", ["targetId": page, "flatten": true], session: nil)["sessionId"] as? String ?? ""
        _ = try call("Page.enable")
        _ = try call("Runtime.enable")
        try resize(width: width, height: height)
    }

    deinit {
        close(commands)
        close(replies)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Sends one DevTools command and returns its result (events in between are skipped).
    @discardableResult
    func call(_ method: String, _ parameters: [String: Any] = [:], session: String?? = .none, timeout: TimeInterval = 60) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": parameters]
        if let session = session ?? self.session, !session.isEmpty { message["sessionId"] = session }
        var bytes = try JSONSerialization.data(withJSONObject: message)
        bytes.append(0)
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(commands, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else { throw Failure(description: "chromium closed its command pipe") }
                offset += written
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let reply = try nextMessage(until: deadline)
            guard reply["id"] as? Int == nextID else { continue }
            if let error = reply["error"] { throw Failure(description: "\(method) failed: \(error)") }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    private func nextMessage(until deadline: Date) throws -> [String: Any] {
        while true {
            if let end = received.firstIndex(of: 0) {
                let message = received[received.startIndex..<end]
                received = Data(received[(end + 1)...])
                return (try JSONSerialization.jsonObject(with: message) as? [String: Any]) ?? [:]
            }
            let wait = deadline.timeIntervalSinceNow
            guard wait > 0 else { throw Failure(description: "chromium did not answer in time") }
            var descriptor = pollfd(fd: replies, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(min(wait, 1) * 1000)) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = read(replies, &chunk, chunk.count)
            guard count > 0 else { throw Failure(description: "chromium exited") }
            received.append(contentsOf: chunk[..<count])
        }
    }

    func resize(width: Int, height: Int, mobile: Bool = false) throws {
        try call("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
    }

    /// Opens `url` and waits until the page has loaded.
    func open(_ url: URL) throws {
        try call("Page.navigate", ["url": url.absoluteString])
        try waitFor("document.readyState === 'complete' && location.href !== 'about:blank'")
    }

    /// The value of a JavaScript expression (awaited if it is a promise).
    @discardableResult
    func evaluate(_ expression: String) throws -> Any? {
        let result = try call("Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw Failure(description: "script failed: \(expression.prefix(200)): \((exception["exception"] as? [String: Any])?["description"] ?? exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// The value of a JavaScript expression in the page's frame whose address starts with
    /// `urlPrefix` (another site's frame, which the page's own scripts cannot read), or nil
    /// while there is no such frame. It runs in a world of its own: it sees the frame's
    /// document, not its scripts' variables.
    func evaluate(_ expression: String, inFrameAt urlPrefix: String) throws -> Any? {
        func frames(_ node: [String: Any]) -> [[String: Any]] {
            [node["frame"] as? [String: Any] ?? [:]] + (node["childFrames"] as? [[String: Any]] ?? []).flatMap(frames)
        }
        let tree = try call("Page.getFrameTree")["frameTree"] as? [String: Any] ?? [:]
        guard let frame = frames(tree).first(where: { ($0["url"] as? String)?.hasPrefix(urlPrefix) == true }),
              let frameID = frame["id"] as? String else { return nil }
        let world = try call("Page.createIsolatedWorld", ["frameId": frameID, "worldName": "edcontrol-test"])
        let result = try call("Runtime.evaluate", ["expression": expression, "contextId": world["executionContextId"] ?? 0, "returnByValue": true])
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until `condition` (a JavaScript expression) is true, in the page or in its
    /// frame at `frameURLPrefix`.
    func waitFor(_ condition: String, inFrameAt frameURLPrefix: String? = nil, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let expression = "Boolean(\(condition))"
            let value = try? frameURLPrefix.map { try evaluate(expression, inFrameAt: $0) } ?? evaluate(expression)
            if value as? Bool == true { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let url = ((try? evaluate("location.href")) as? String) ?? "?"
        throw Failure(description: "timed out after \(Int(timeout)) s waiting for \(condition)\(frameURLPrefix.map { " in the frame at \($0)" } ?? "") (page \(url))")
    }

    /// Clicks the element `selector` finds, as a user would (focus, then click), and
    /// waits for a page load if the click starts one.
    func click(_ selector: String, loads: Bool = false) throws {
        let marker = "edcontrolTestMarker"
        if loads { try evaluate("window.\(marker) = true") }
        let found = try evaluate("(() => { const el = document.querySelector(\(Self.quoted(selector))); if (!el) return false; el.focus(); el.click(); return true; })()")
        guard found as? Bool == true else {
            throw Failure(description: "no element matches \(selector) on \(((try? evaluate("location.href")) as? String) ?? "?")")
        }
        if loads { try waitFor("!window.\(marker) && document.readyState === 'complete'") }
    }

    func type(_ text: String, into selector: String) throws {
        try evaluate("document.querySelector(\(Self.quoted(selector))).value = \(Self.quoted(text))")
    }

    /// Puts a file into an `<input type=file>`, as choosing it in the file dialog does.
    func chooseFile(_ file: URL, in selector: String) throws {
        let document = try call("DOM.getDocument")
        let root = (document["root"] as? [String: Any])?["nodeId"] as? Int ?? 0
        let node = try call("DOM.querySelector", ["nodeId": root, "selector": selector])["nodeId"] as? Int ?? 0
        try call("DOM.setFileInputFiles", ["files": [file.path], "nodeId": node])
    }

    /// A PNG of the whole page (not only the window).
    func screenshot(to file: URL) throws {
        let metrics = try call("Page.getLayoutMetrics")
        let size = metrics["cssContentSize"] as? [String: Any] ?? [:]
        let clip: [String: Any] = ["x": 0, "y": 0, "width": size["width"] ?? 1366, "height": size["height"] ?? 768, "scale": 1]
        let shot = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true, "clip": clip])
        guard let base64 = shot["data"] as? String, let png = Data(base64Encoded: base64) else { throw Failure(description: "no screenshot") }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try png.write(to: file)
    }

    /// `text` as a JavaScript string literal.
    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }
}
