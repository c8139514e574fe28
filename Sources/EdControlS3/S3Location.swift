import Foundation

/// A bucket as `--storage` names it: `s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION`.
/// Path-style addresses (`ENDPOINT/BUCKET/KEY`), which every S3-compatible server answers;
/// the endpoint defaults to AWS's for the region, the region to `AWS_REGION` (or
/// `AWS_DEFAULT_REGION`, else us-east-1). The keys come from the environment
/// (`S3Credentials.fromEnvironment`), never from the address.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// Keys begin with this (no slash at either end), so several deployments can share a bucket.
    public var prefix: String
    public var endpoint: URL
    public var region: String

    public init(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "s3",
              let bucket = components.host, !bucket.isEmpty else {
            throw S3LocationError("--storage \(url) is not a bucket's address: write s3://BUCKET?endpoint=http://HOST:PORT&region=REGION")
        }
        let query = Dictionary(components.queryItems?.map { ($0.name, $0.value ?? "") } ?? [], uniquingKeysWith: { $1 })
        let region = query["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        let endpointText = query["endpoint"] ?? "https://s3.\(region).amazonaws.com"
        guard let endpoint = URL(string: endpointText), ["http", "https"].contains(endpoint.scheme), endpoint.host != nil else {
            throw S3LocationError("--storage \(url): the endpoint \(endpointText) is not an http(s) address such as http://127.0.0.1:8333")
        }
        self.bucket = bucket
        self.prefix = components.path.split(separator: "/").joined(separator: "/")
        self.endpoint = endpoint
        self.region = region
    }

    public var description: String {
        "s3://\(bucket)\(prefix.isEmpty ? "" : "/" + prefix)?endpoint=\(endpoint.absoluteString)&region=\(region)"
    }
}

public struct S3LocationError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
    init(_ description: String) { self.description = description }
}

/// URLs of the bucket and its objects, every part percent-encoded as SigV4 signs it.
enum S3Address {
    /// Everything but the unreserved characters (A–Z, a–z, 0–9, `-._~`) percent-encoded.
    static func encode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func url(_ location: S3Location, key: String?, query: [(String, String)] = []) -> URL {
        var text = location.endpoint.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/" + encode(location.bucket)
        if let key { text += "/" + key.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/") }
        if !query.isEmpty { text += "?" + query.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&") }
        return URL(string: text)!
    }
}
