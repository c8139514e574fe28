import AsyncHTTPClient
import Foundation
import NIOCore

/// Calls from the server to a school's LMS (its key set, later its token endpoint and
/// membership service). The URLs are a school admin's, so they are vetted as webhooks are:
/// public addresses only unless the operator allowed the network, and the connection goes
/// to the address that was checked.
struct LMSRequests: Sendable {
    let targets: WebhookTargetPolicy
    var timeoutSeconds: Int64 = 10
    /// Key sets are a few kilobytes; a larger answer is not one.
    var maximumBytes = 1 << 20

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The body of a GET answered with 200.
    func get(_ url: URL) async throws -> Data {
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
            request.headers.add(name: "Accept", value: "application/json")
            request.headers.add(name: "User-Agent", value: "EdControl-LTI")
            let response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
            let body = try await response.body.collect(upTo: maximumBytes)
            try? await client.shutdown()
            guard response.status == .ok else { throw Failure(description: "HTTP \(response.status.code)") }
            return Data(buffer: body)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
