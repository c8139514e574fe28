import Foundation
import JWTKit

/// The platforms' public keys, fetched from their key-set URLs and kept. A token signed with a
/// key the kept set lacks makes the set be fetched again (a platform rotating its keys), but
/// not more often than `refetchInterval`, so tokens with made-up key ids cannot make the tool
/// hammer the platform.
public actor PlatformKeys {
    /// Reads a key-set URL (in the service, an HTTP GET with a timeout).
    public typealias Fetch = @Sendable (URL) async throws -> Data

    private let fetch: Fetch
    private let refetchInterval: TimeInterval
    /// One collection per key-set URL, so one platform's key can never verify another's token.
    private var kept: [URL: (keys: JWTKeyCollection, ids: Set<String>, fetched: Date)] = [:]

    public init(refetchInterval: TimeInterval = 60, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.refetchInterval = refetchInterval
    }

    /// The keys of the set at `url`, which must hold `keyID`.
    public func keys(at url: URL, holding keyID: String, now: Date = Date()) async throws(LaunchRefusal) -> JWTKeyCollection {
        if let set = kept[url], set.ids.contains(keyID) { return set.keys }
        if let set = kept[url], now.timeIntervalSince(set.fetched) < refetchInterval { throw .unknownKey(keyID) }
        let data: Data
        do {
            data = try await fetch(url)
        } catch {
            throw .keysUnavailable(url.absoluteString, String(describing: error))
        }
        let (keys, ids) = try await Self.signingKeys(in: data, from: url)
        kept[url] = (keys, ids, now)
        guard ids.contains(keyID) else { throw .unknownKey(keyID) }
        return keys
    }

    /// The RSA signing keys of a JWKS document, each pinned to RS256. Entries of other kinds
    /// (encryption keys, other algorithms) are left out rather than failing the whole set, as
    /// JWTKit's own JWKS decoding would.
    static func signingKeys(in data: Data, from url: URL) async throws(LaunchRefusal) -> (JWTKeyCollection, Set<String>) {
        struct Entry: Decodable { var kty: String?; var kid: String?; var use: String?; var alg: String?; var n: String?; var e: String? }
        struct Document: Decodable { var keys: [Entry] }
        guard let document = try? JSONDecoder().decode(Document.self, from: data) else {
            throw .keysUnavailable(url.absoluteString, "the answer is not a JSON Web Key Set")
        }
        let keys = JWTKeyCollection()
        var ids = Set<String>()
        for entry in document.keys where entry.kty == "RSA" && (entry.use ?? "sig") == "sig" && (entry.alg ?? "RS256") == "RS256" {
            guard let kid = entry.kid, let n = entry.n, let e = entry.e else { continue }
            guard (try? await keys.add(jwk: .rsa(.rs256, identifier: JWKIdentifier(string: kid), modulus: n, exponent: e))) != nil else { continue }
            ids.insert(kid)
        }
        return (keys, ids)
    }
}
