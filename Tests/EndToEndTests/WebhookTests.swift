@testable import EdControlTestSupport
import EdControlService
import Foundation
import Testing

/// A school's webhook, from a real server process to a receiver that refuses twice.
@Suite("Webhooks")
struct WebhookTests {
    @Test func finishedAnalysesAreSignedAndRetriedUntilTheReceiverAccepts() async throws {
        let receiver = try WebhookReceiver(refusals: 2)
        let hookURL = receiver.base + "/hook"
        let server = try RunningServer(arguments: ["--webhook-retry-seconds", "0.5", "--webhook-allow-network", "127.0.0.1/32"], validated: true)
        let admin = try server.token(school: "School A", role: "admin")
        let secret = "a-long-shared-secret-for-tests"
        let created = try await server.request("POST", "/api/v1/webhooks", token: admin,
                                               body: Data(#"{"url": "\#(hookURL)", "secret": "\#(secret)"}"#.utf8))
        #expect(created.status == 201 && !created.text.contains(secret), "\(created.text)")
        let webhookID = try #require(try created.json()["id"] as? String)
        #expect(try await server.request("POST", "/api/v1/webhooks", token: admin,
                                         body: Data(#"{"url": "ftp://x", "secret": "\#(secret)"}"#.utf8)).status == 400)
        let manager = try server.token(school: "School A", role: "manager")
        #expect(try await server.request("GET", "/api/v1/webhooks", token: manager).status == 403)

        // An analysis that succeeds and one that fails (no sound) each send an event.
        let video = Fixtures.videos.appendingPathComponent("none-then-face.mov")
        let uploadedAt = Date()
        let upload = try await server.request("POST", "/api/v1/lessons?filename=clip.mov", token: manager, file: video)
        #expect(upload.status == 201, "\(upload.text)")
        let job = try #require((try upload.json()["job"] as? [String: Any])?["id"] as? String)
        let finished = try await server.waitForJob(job, token: manager)
        #expect(finished["state"] as? String == "succeeded", "\(finished)")

        // Two refusals, then accepted, in the delivery log; the sender's count of attempts is
        // what the receiver saw.
        let deadline = Date().addingTimeInterval(180)
        var log: [[String: Any]] = []
        while Date() < deadline {
            log = try await server.request("GET", "/api/v1/webhooks/\(webhookID)/deliveries", token: admin).json()["items"] as? [[String: Any]] ?? []
            if log.first?["state"] as? String == "delivered" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let delivery = try #require(log.first, "a delivery is logged")
        let received = try receiver.calls()
        #expect(delivery["state"] as? String == "delivered" && delivery["lastStatus"] as? Int == 200, "\(delivery)")
        #expect(received.count >= 3 && delivery["attempts"] as? Int == received.count, "\(received.count) received: \(delivery)")
        for request in received {
            let timestamp = try #require(request.header(WebhookSignature.timestampHeader).flatMap { Int($0) })
            // Signed when sent: after the upload, and not in the future (the check runs whenever this busy process gets to it).
            #expect(Double(timestamp) >= uploadedAt.timeIntervalSince1970 - 5 && Double(timestamp) <= Date().timeIntervalSince1970 + 5)
            #expect(request.header(WebhookSignature.signatureHeader) == WebhookSignature.sign(body: request.body, timestamp: timestamp, secret: secret),
                    "the signature verifies with the shared secret")
            #expect(request.header(WebhookSignature.signatureHeader) != WebhookSignature.sign(body: request.body, timestamp: timestamp, secret: "wrong secret-----"))
            let event = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
            #expect(event["event"] as? String == "job.succeeded" && (event["job"] as? [String: Any])?["id"] as? String == job)
            #expect(request.header(WebhookSignature.eventHeader) == "job.succeeded")
        }
        #expect(try await server.request("DELETE", "/api/v1/webhooks/\(webhookID)", token: admin).status == 204)
        #expect(try await server.request("GET", "/api/v1/webhooks/\(webhookID)/deliveries", token: admin).status == 404)
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }
}
