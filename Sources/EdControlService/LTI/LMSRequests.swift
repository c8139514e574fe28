import AsyncHTTPClient
import EdControlStorage
import Foundation
import NIOCore
import NIOFoundationCompat

/// Calls from the server to a school's LMS: its key set, its token endpoint, its membership
/// service. The URLs are a school admin's (or a launch's), so they are vetted as webhooks
/// are: public addresses only unless the operator allowed the network, and the connection
/// goes to the address that was checked.
public struct LMSRequests: Sendable {
    let targets: WebhookTargetPolicy
    var timeoutSeconds: Int64 = 10
    /// Key sets and membership pages are at most a few hundred kilobytes; a larger answer is not one.
    var maximumBytes = 8 << 20

    public init(targets: WebhookTargetPolicy) {
        self.targets = targets
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    struct Answer {
        var body: Data
        /// The `Link` header (a membership list's next page).
        var link: String?
    }

    /// The body of a GET answered with 200.
    package func get(_ url: URL) async throws -> Data {
        try await send(url, accept: "application/json").body
    }

    /// A GET (or, with `form` or `json`, a POST of it) answered with 200 (or 201 to a POST).
    func send(_ url: URL, accept: String, bearer: String? = nil, form: [(String, String)]? = nil, json: Data? = nil) async throws -> Answer {
        let target: WebhookTargetPolicy.Target
        do {
            target = try await targets.vet(url.absoluteString)
        } catch let refusal as WebhookTargetPolicy.Refusal {
            throw Failure(description: refusal.description)
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(5), read: .seconds(timeoutSeconds)))
        configuration.dnsOverride = [target.host: target.address]
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Accept", value: accept)
            request.headers.add(name: "User-Agent", value: "EdControl-LTI")
            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
            if let form {
                var components = URLComponents()
                components.queryItems = form.map { URLQueryItem(name: $0.0, value: $0.1) }
                // URLComponents leaves '+' as it is, which a form decoder reads as a space.
                let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: encoded))
            } else if let json {
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(data: json))
            }
            let response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
            let body = try await response.body.collect(upTo: maximumBytes)
            try? await client.shutdown()
            guard response.status == .ok || (request.method == .POST && response.status == .created) else {
                throw Failure(description: "HTTP \(response.status.code) from \(url.host ?? "the LMS"): \(String(buffer: body).prefix(300))")
            }
            return Answer(body: Data(buffer: body), link: response.headers.first(name: "Link"))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
