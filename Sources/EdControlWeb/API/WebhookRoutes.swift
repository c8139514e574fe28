import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/webhooks` (admins): where the school's LMS hears about finished analyses.
struct WebhookRoutes {
    let store: WebhookStore & AuditStore
    let targets: WebhookTargetPolicy

    struct NewWebhook: Decodable {
        var url: String
        var secret: String
    }

    /// A webhook as the API shows it: never with its secret.
    struct WebhookView: ResponseEncodable {
        var id: String
        var url: String
        var createdAt: Date
        var events = ["job.succeeded", "job.failed"]

        init(_ webhook: Webhook) {
            id = webhook.id
            url = webhook.url
            createdAt = webhook.createdAt
        }
    }

    struct WebhookList: ResponseEncodable { var items: [WebhookView] }
    struct DeliveryList: ResponseEncodable { var items: [WebhookDelivery] }

    func add(to api: RouterGroup<APIContext>) {
        let webhooks = api.group("webhooks")
        webhooks.post { request, context -> EditedResponse<WebhookView> in
            let caller = try context.require(.admin)
            let body = try await request.decode(as: NewWebhook.self, context: context)
            do {
                _ = try await targets.vet(body.url)
            } catch let refusal as WebhookTargetPolicy.Refusal {
                throw HTTPError(refusal.malformed ? .badRequest : .unprocessableContent, message: refusal.description)
            }
            guard body.secret.count >= 16 else {
                throw HTTPError(.badRequest, message: "secret must be at least 16 characters: events are signed with it (HMAC-SHA256)")
            }
            let webhook = try await store.addWebhook(schoolID: caller.schoolID, url: body.url, secret: body.secret)
            try await store.audit(caller, "webhook.create", "webhook \(webhook.id)", detail: webhook.url)
            return EditedResponse(status: .created, headers: [.location: "/api/v1/webhooks/\(webhook.id)"], response: WebhookView(webhook))
        }
        webhooks.get { _, context in
            WebhookList(items: try await store.webhooks(schoolID: try context.require(.admin).schoolID).map(WebhookView.init))
        }
        webhooks.delete(":webhook") { _, context -> Response in
            let caller = try context.require(.admin)
            let id = try context.parameters.require("webhook")
            guard try await store.deleteWebhook(id: id, schoolID: caller.schoolID) else { throw Self.noSuchWebhook(id) }
            try await store.audit(caller, "webhook.delete", "webhook \(id)")
            return Response(status: .noContent)
        }
        webhooks.get(":webhook/deliveries") { _, context -> DeliveryList in
            let caller = try context.require(.admin)
            let id = try context.parameters.require("webhook")
            guard let deliveries = try await store.deliveries(webhookID: id, schoolID: caller.schoolID, limit: 200) else { throw Self.noSuchWebhook(id) }
            return DeliveryList(items: deliveries)
        }
    }

    static func noSuchWebhook(_ id: String) -> HTTPError { HTTPError(.notFound, message: "there is no webhook \(id) in your school") }
}
