import Crypto
import ExtrasBase64
import Foundation
import JWTKit
import _CryptoExtras

/// One of the tool's own RSA key pairs, with which it signs deep-linking responses and the
/// assertions it gets platform access tokens with. Platforms read the public halves from the
/// tool's key set (`/lti/jwks`); a new pair is made to rotate, and the old one stays in the set
/// until nothing signed with it is in use.
public struct ToolKey: Sendable, Equatable {
    public static func == (lhs: ToolKey, rhs: ToolKey) -> Bool {
        lhs.id == rhs.id && lhs.privateKeyPEM == rhs.privateKeyPEM && lhs.created == rhs.created
    }

    /// The key's id: its RFC 7638 thumbprint, so the same key always has the same id.
    public let id: String
    /// PKCS#8 PEM: how the store keeps it.
    public let privateKeyPEM: String
    public let created: Date

    /// A new 2048-bit pair.
    public static func generate(now: Date = Date()) throws -> ToolKey {
        try ToolKey(privateKeyPEM: _RSA.Signing.PrivateKey(keySize: .bits2048).pkcs8PEMRepresentation, created: now)
    }

    /// A stored pair.
    public init(privateKeyPEM: String, created: Date) throws {
        key = try JWTKit.Insecure.RSA.PrivateKey(pem: privateKeyPEM)
        let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
        let n = Self.base64URL(modulus), e = Self.base64URL(exponent)
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let canonical = #"{"e":"\#(e)","kty":"RSA","n":"\#(n)"}"#
        id = Self.base64URL(Data(SHA256.hash(data: Data(canonical.utf8))))
        self.privateKeyPEM = privateKeyPEM
        self.created = created
        publicJWK = PublicJWK(kid: id, n: n, e: e)
    }

    /// The public half as a platform reads it from the key set.
    public let publicJWK: PublicJWK
    /// The key itself, read from the PEM once.
    private let key: JWTKit.Insecure.RSA.PrivateKey

    public struct PublicJWK: Codable, Sendable, Equatable {
        public var kty = "RSA"
        public var alg = "RS256"
        public var use = "sig"
        public var kid: String
        public var n: String
        public var e: String
    }

    /// The JSON Web Key Set of `keys` (newest first, as `/lti/jwks` serves it).
    public static func keySet(_ keys: [ToolKey]) throws -> Data {
        struct KeySet: Encodable { var keys: [PublicJWK] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(KeySet(keys: keys.sorted { $0.created > $1.created }.map(\.publicJWK)))
    }

    /// `payload` signed with this key (RS256, its id in the header), dates as whole seconds.
    public func sign(_ payload: some JWTPayload) async throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .integerSecondsSince1970
        let keys = JWTKeyCollection()
        await keys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: id),
                       serializer: DefaultJWTSerializer(jsonEncoder: encoder))
        return try await keys.sign(payload, kid: JWKIdentifier(string: id))
    }

    static func base64URL(_ data: Data) -> String {
        Base64.encodeToString(bytes: data, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}
