import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
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
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }
}

/// Delivers queued webhook events: POSTs each signed, and on anything but a 2xx answer
/// tries again later with exponential backoff (5 s, 10 s, 20 s, … up to an hour) until
/// `maxAttempts`. Every attempt is kept in the delivery log.
public struct WebhookSender: Service {
    public struct Settings: Sendable {
        public var maxAttempts = 8
        public var firstRetrySeconds = 5.0
        public var timeoutSeconds = 10.0
        public var pollSeconds = 0.5

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
        let session = URLSession(configuration: .ephemeral)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let due = (try? await store.dueDeliveries(limit: 20, lockSeconds: settings.timeoutSeconds * 3)) ?? []
            await withTaskGroup(of: Void.self) { group in
                for (delivery, webhook) in due { group.addTask { await send(delivery, to: webhook, session: session) } }
            }
            if due.isEmpty {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(settings.pollSeconds)) }
            }
        }
    }

    private func send(_ delivery: WebhookDelivery, to webhook: Webhook, session: URLSession) async {
        guard let url = URL(string: webhook.url) else { return }
        let body = Data(delivery.payload.utf8)
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = URLRequest(url: url, timeoutInterval: settings.timeoutSeconds)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("EdControl-Webhooks", forHTTPHeaderField: "User-Agent")
        request.setValue(String(timestamp), forHTTPHeaderField: WebhookSignature.timestampHeader)
        request.setValue(WebhookSignature.sign(body: body, timestamp: timestamp, secret: webhook.secret),
                         forHTTPHeaderField: WebhookSignature.signatureHeader)
        request.setValue(delivery.event, forHTTPHeaderField: WebhookSignature.eventHeader)
        request.setValue(delivery.id, forHTTPHeaderField: WebhookSignature.deliveryHeader)
        var status: Int?
        var failure: String?
        do {
            let (_, response) = try await session.upload(for: request, from: body)
            status = (response as? HTTPURLResponse)?.statusCode
            if let status, !(200..<300).contains(status) { failure = "the receiver answered HTTP \(status)" }
        } catch {
            failure = "no answer: \(error.localizedDescription)"
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
}

/// The body of an event: what happened, to which job and lesson.
struct WebhookEvent: Encodable {
    var id: String
    var event: String
    var occurredAt: Date
    var job: Job
    var lesson: Lesson

    /// Queues the event for every webhook of the lesson's school.
    static func queue(_ event: String, lessonID: String, schoolID: String, store: EdControlStore) async throws {
        guard let current = try await store.lesson(id: lessonID, schoolID: schoolID), let job = current.job else { return }
        let encoder = JSONEncoder.api
        try await store.queueEvent(schoolID: schoolID, event: event) { deliveryID in
            let body = WebhookEvent(id: deliveryID, event: event, occurredAt: Date(), job: job, lesson: current.lesson)
            return String(decoding: (try? encoder.encode(body)) ?? Data("{}".utf8), as: UTF8.self)
        }
    }
}
