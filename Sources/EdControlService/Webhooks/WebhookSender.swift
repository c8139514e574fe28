import AsyncHTTPClient
import Crypto
import EdControlEngine
import EdControlStorage
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// How receivers check that an event came from this server and is fresh: the signature is
/// HMAC-SHA256, keyed with the webhook's secret, of "<timestamp>.<body>".
public enum WebhookSignature {
    public static let signatureHeader = "X-EdControl-Signature"
    public static let timestampHeader = "X-EdControl-Timestamp"
    public static let eventHeader = "X-EdControl-Event"
    public static let deliveryHeader = "X-EdControl-Delivery"

    /// "sha256=<hex>".
    public static func sign(body: Data, timestamp: Int, secret: String) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.hexadecimal
    }
}

/// Delivers queued webhook events: POSTs each signed, and on anything but a 2xx answer
/// tries again later with exponential backoff (5 s, 10 s, 20 s, … up to an hour) until
/// `maxAttempts`. Every attempt is kept in the delivery log. Each delivery first checks its
/// target again (`WebhookTargetPolicy`) and connects to the address it checked; redirects
/// are not followed (a receiver could point them inside the network).
public struct WebhookSender: Service {
    public struct Settings: Sendable {
        public var maxAttempts = 8
        public var firstRetrySeconds = 5.0
        public var timeoutSeconds = 10.0
        public var pollSeconds = 0.5
        public var targets = WebhookTargetPolicy()

        public init() {}
    }

    let store: WebhookStore
    let settings: Settings
    let logger: Logger

    public init(store: WebhookStore, settings: Settings = Settings(), logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let due = (try? await store.dueDeliveries(limit: 20, lockSeconds: settings.timeoutSeconds * 3)) ?? []
            await withTaskGroup(of: Void.self) { group in
                for (delivery, webhook) in due { group.addTask { await send(delivery, to: webhook) } }
            }
            if due.isEmpty {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(settings.pollSeconds)) }
            }
        }
    }

    private func send(_ delivery: WebhookDelivery, to webhook: Webhook) async {
        var status: Int?
        var failure: String?
        do {
            let target = try await settings.targets.vet(webhook.url)
            status = try await post(delivery, to: target, secret: webhook.secret)
            if let status, !(200..<300).contains(status) { failure = "the receiver answered HTTP \(status)" }
        } catch let refusal as WebhookTargetPolicy.Refusal {
            failure = "not sent: \(refusal.description)"
        } catch {
            failure = "no answer: \(error)"
        }
        let delivered = failure == nil
        let attempt = delivery.attempts + 1
        let retryAt = delivered || attempt >= settings.maxAttempts
            ? nil : Date().addingTimeInterval(min(3600, settings.firstRetrySeconds * pow(2, Double(attempt - 1))))
        do {
            try await store.recordAttempt(deliveryID: delivery.id, status: status, error: failure, delivered: delivered, retryAt: retryAt)
        } catch {
            logger.error("cannot record a webhook delivery attempt", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
        if !delivered {
            logger.warning("webhook delivery failed", metadata: ["delivery": "\(delivery.id)", "url": "\(webhook.url)", "attempt": "\(attempt)",
                                                                 "error": "\(failure ?? "")", "retry": "\(retryAt.map { "\($0)" } ?? "no more")"])
        }
    }

    /// POSTs the signed event to the checked address (TLS still verifies the host's name);
    /// the answer's status code.
    private func post(_ delivery: WebhookDelivery, to target: WebhookTargetPolicy.Target, secret: String) async throws -> Int {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(5), read: .seconds(Int64(settings.timeoutSeconds))))
        configuration.dnsOverride = [target.host: target.address]
        // A client per delivery: its DNS override pins this delivery's checked address, and
        // deliveries are few (one per finished job and webhook).
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let status = try await post(delivery, with: client, to: target.url, secret: secret)
            try? await client.shutdown()
            return status
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func post(_ delivery: WebhookDelivery, with client: HTTPClient, to url: URL, secret: String) async throws -> Int {
        let body = Data(delivery.payload.utf8)
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "EdControl-Webhooks")
        request.headers.add(name: WebhookSignature.timestampHeader, value: String(timestamp))
        request.headers.add(name: WebhookSignature.signatureHeader, value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret))
        request.headers.add(name: WebhookSignature.eventHeader, value: delivery.event)
        request.headers.add(name: WebhookSignature.deliveryHeader, value: delivery.id)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(Int64(settings.timeoutSeconds)))
        // The answer's body is not needed; reading a little of it lets the connection close cleanly.
        _ = try? await response.body.collect(upTo: 64 << 10)
        return Int(response.status.code)
    }
}

/// The body of an event: what happened, to which job and lesson.
package struct WebhookEvent: Encodable {
    var id: String
    var event: String
    var occurredAt: Date
    var job: Job
    var lesson: Lesson

    /// Queues the event for every webhook of the lesson's school.
    static func queue(_ event: String, lessonID: String, schoolID: String, store: EdControlStore) async throws {
        guard let current = try await store.lesson(id: lessonID, schoolID: schoolID), let job = current.job else { return }
        let encoder = JSONEncoder.api
        try await store.queueEvent(schoolID: schoolID, lessonID: lessonID, event: event) { deliveryID in
            let body = WebhookEvent(id: deliveryID, event: event, occurredAt: Date(), job: job, lesson: current.lesson)
            return String(decoding: (try? encoder.encode(body)) ?? Data("{}".utf8), as: UTF8.self)
        }
    }
}
