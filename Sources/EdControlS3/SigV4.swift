import Crypto
import EdControlEngine
import Foundation

/// AWS Signature Version 4 for S3 requests. Written here because no Swift S3 SDK builds on
/// this platform (Soto does not); the algorithm is AWS's published one, on swift-crypto.
struct SigV4: Sendable {
    let credentials: S3Credentials
    let region: String

    /// The headers that sign a request: `x-amz-date`, `x-amz-content-sha256`, the session
    /// token if any, and `Authorization` over them, `host` and the signed `others`. `payloadHash` is the body's
    /// SHA-256 in hex, or `UNSIGNED-PAYLOAD` for a body streamed as it arrives.
    /// `others` are the request's other headers: those S3 requires signed (`x-amz-…`,
    /// Content-MD5) are signed with it.
    func headers(method: String, url: URL, payloadHash: String, others: [(String, String)] = [], at date: Date = Date()) -> [(String, String)] {
        let amzDate = Self.timestamp.string(from: date)
        let day = String(amzDate.prefix(8))
        var signed: [(String, String)] = [("host", Self.host(of: url)), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
        signed += others.map { ($0.0.lowercased(), $0.1) }.filter { $0.0.hasPrefix("x-amz-") || $0.0 == "content-md5" }
        if let token = credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        signed.sort { $0.0 < $1.0 }
        let signedNames = signed.map(\.0).joined(separator: ";")
        let canonicalRequest = [
            method,
            Self.canonicalPath(url),
            Self.canonicalQuery(url),
            signed.map { "\($0.0):\($0.1.trimmingCharacters(in: .whitespaces))\n" }.joined(),
            signedNames,
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/s3/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256.hash(data: Data(canonicalRequest.utf8)).hexadecimal].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, "s3", "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key).hexadecimal
        let own = ["x-amz-content-sha256", "x-amz-date", "x-amz-security-token"]
        return signed.filter { own.contains($0.0) } + [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedNames), Signature=\(signature)"),
        ]
    }

    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    static func payloadHash(_ body: Data) -> String { SHA256.hash(data: body).hexadecimal }

    private static let timestamp: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter
    }()

    private static func host(of url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        let defaultPort = url.scheme == "https" ? 443 : 80
        return port == defaultPort ? host : "\(host):\(port)"
    }

    /// The path as sent (already percent-encoded by `S3Address`), "/" when empty.
    private static func canonicalPath(_ url: URL) -> String {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? ""
        return path.isEmpty ? "/" : path
    }

    /// Query items sorted by name, each name and value percent-encoded as AWS encodes them.
    private static func canonicalQuery(_ url: URL) -> String {
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let pairs: [(name: String, value: String)] = items.map { (S3Address.encode($0.name), S3Address.encode($0.value ?? "")) }
        let sorted = pairs.sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }
}

/// The keys requests are signed with, read from the environment as AWS's own tools read them.
public struct S3Credentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, if set, `AWS_SESSION_TOKEN`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Credentials {
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw S3LocationError("--storage s3://… needs the bucket's keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        return S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
}
