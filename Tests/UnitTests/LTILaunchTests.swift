@testable import EdControlTestSupport
import Crypto
@testable import EdControlLTI
import Foundation
import JWTKit
import Synchronization
import Testing

/// A platform for the verifier to check: its own keys and key set, signing launches as an LMS
/// does (with JWTKit, on the platform's side), and counting how often its key set is read.
private final class Platform: Sendable {
    let key: ToolKey
    let published: Mutex<[ToolKey]>
    let reads = Mutex(0)
    let registration: PlatformRegistration

    init() throws {
        key = try ToolKey.generate()
        published = Mutex([key])
        registration = PlatformRegistration(
            school: "school-a", issuer: "https://lms.example.test", clientID: "edcontrol-1", deploymentIDs: ["deployment-1"],
            authorizationURL: URL(string: "https://lms.example.test/auth")!, tokenURL: URL(string: "https://lms.example.test/token")!,
            keysURL: URL(string: "https://lms.example.test/jwks")!)
    }

    func verifier(refetchInterval: TimeInterval = 60) -> LaunchVerifier {
        let keys = PlatformKeys(refetchInterval: refetchInterval) { [self] url in
            #expect(url == registration.keysURL)
            reads.withLock { $0 += 1 }
            return try ToolKey.keySet(published.withLock { $0 })
        }
        let registered = registration
        return LaunchVerifier(keys: keys, nonces: MemoryNonceRegistry()) { issuer, clientIDs in
            issuer == registered.issuer && clientIDs.contains(registered.clientID) ? registered : nil
        }
    }

    func claims(now: Date = Date(), nonce: String = "nonce-1") -> LaunchClaims {
        LaunchClaims(
            issuer: registration.issuer, subject: "lms-user-7", audience: AudienceClaim(value: [registration.clientID]), authorizedParty: nil,
            expires: ExpirationClaim(value: now.addingTimeInterval(300)), issuedAt: IssuedAtClaim(value: now), nonce: nonce,
            messageType: "LtiResourceLinkRequest", version: "1.3.0", deploymentID: "deployment-1", targetLinkURI: "https://tool.test/lti/launch",
            roles: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
            context: .init(id: "course-1", label: "M101", title: "Mathematics"), resourceLink: .init(id: "link-1", title: "Lessons"),
            name: "Anna Petrova", givenName: "Anna", familyName: "Petrova", email: "anna@school.test",
            deepLinkingSettings: nil, namesRoleService: nil)
    }
}

/// A token with any header and signature, as an attacker writes one.
private func handMade(header: String, claims: LaunchClaims, signature: (Data) -> Data) throws -> String {
    let encoded = ToolKey.base64URL
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .secondsSince1970
    let signed = encoded(Data(header.utf8)) + "." + encoded(try encoder.encode(claims))
    return signed + "." + encoded(signature(Data(signed.utf8)))
}

/// `claims` signed with `key` but naming `keyID` in the header.
private func signed(_ claims: LaunchClaims, with key: ToolKey, as keyID: String) async throws -> String {
    let keys = JWTKeyCollection()
    await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: key.privateKeyPEM), digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID))
    return try await keys.sign(claims, kid: JWKIdentifier(string: keyID))
}

@Suite("LTI launch")
struct LTILaunchTests {
    @Test func aLaunchSignedByTheRegisteredPlatformIsTakenOnce() async throws {
        let platform = try Platform()
        let verifier = platform.verifier()
        let token = try await platform.key.sign(platform.claims())
        let (registration, claims) = try await verifier.verify(token, expectedNonce: "nonce-1")
        #expect(registration == platform.registration)
        #expect(claims.subject == "lms-user-7" && claims.email == "anna@school.test" && claims.context?.id == "course-1")
        #expect(claims.roles == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"])
        // The same token again: its nonce is used up.
        await #expect(throws: LaunchRefusal.nonceReplayed) { try await verifier.verify(token, expectedNonce: "nonce-1") }
        #expect(platform.reads.withLock { $0 } == 1)
    }

    @Test func everyForgedOrWrongLaunchIsRefusedWithItsReason() async throws {
        let platform = try Platform()
        let verifier = platform.verifier()
        let intruder = try ToolKey.generate()
        let publicPEM = try Insecure.RSA.PrivateKey(pem: platform.key.privateKeyPEM).publicKey.pemRepresentation
        func refusal(_ token: String, nonce: String = "nonce-1") async -> LaunchRefusal? {
            do {
                _ = try await verifier.verify(token, expectedNonce: nonce)
                return nil
            } catch {
                return error
            }
        }
        /// A launch signed by the platform with a fresh nonce and one thing changed, and that nonce.
        func variant(_ change: (inout LaunchClaims) -> Void) async throws -> (token: String, nonce: String) {
            var claims = platform.claims(nonce: UUID().uuidString)
            change(&claims)
            return (try await platform.key.sign(claims), claims.nonce)
        }
        func refusal(of launch: (token: String, nonce: String)) async -> LaunchRefusal? { await refusal(launch.token, nonce: launch.nonce) }

        // Signatures and algorithms.
        #expect(await refusal(try await signed(platform.claims(), with: intruder, as: platform.key.id)) == .badSignature)
        #expect(await refusal(try await signed(platform.claims(), with: intruder, as: intruder.id)) == .unknownKey(intruder.id))
        let none = try handMade(header: #"{"alg":"none","kid":"\#(platform.key.id)"}"#, claims: platform.claims()) { _ in Data() }
        #expect(await refusal(none) == .algorithmNotAllowed("none"))
        let hmac = try handMade(header: #"{"alg":"HS256","kid":"\#(platform.key.id)","typ":"JWT"}"#, claims: platform.claims()) { message in
            Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(publicPEM.utf8))))
        }
        #expect(await refusal(hmac) == .algorithmNotAllowed("HS256"))
        #expect(await refusal("not.a-token") == .malformedToken("it has 2 parts, not 3"))

        // Addressing and freshness.
        #expect(await refusal(of: try await variant { $0.audience = AudienceClaim(value: ["another-tool"]) })
            == .unknownPlatform(issuer: platform.registration.issuer, clientIDs: ["another-tool"]))
        #expect(await refusal(of: try await variant { $0.issuer = "https://elsewhere.test" })
            == .unknownPlatform(issuer: "https://elsewhere.test", clientIDs: ["edcontrol-1"]))
        let twoAudiences = try await variant { $0.audience = AudienceClaim(value: ["edcontrol-1", "another-tool"]) }
        #expect(await refusal(of: twoAudiences) == .wrongAudience("azp is not this tool's client id"))
        let otherParty = try await variant { $0.audience = AudienceClaim(value: ["edcontrol-1", "another-tool"]); $0.authorizedParty = "another-tool" }
        #expect(await refusal(of: otherParty) == .wrongAudience("azp is not this tool's client id"))
        let rightParty = try await variant { $0.audience = AudienceClaim(value: ["edcontrol-1", "another-tool"]); $0.authorizedParty = "edcontrol-1" }
        #expect(await refusal(of: rightParty) == nil)
        #expect(await refusal(of: try await variant { $0.expires = ExpirationClaim(value: Date().addingTimeInterval(-61)) }) == .expired)
        #expect(await refusal(of: try await variant { $0.issuedAt = IssuedAtClaim(value: Date().addingTimeInterval(600)) }) == .issuedInTheFuture)
        #expect(await refusal(try await platform.key.sign(platform.claims(nonce: "from-another-browser"))) == .nonceMismatch)

        // What the launch says.
        #expect(await refusal(of: try await variant { $0.deploymentID = "deployment-9" }) == .unknownDeployment("deployment-9"))
        #expect(await refusal(of: try await variant { $0.roles = nil }) == .missingClaim("https://purl.imsglobal.org/spec/lti/claim/roles"))
        #expect(await refusal(of: try await variant { $0.subject = nil }) == .missingClaim("sub"))
        #expect(await refusal(of: try await variant { $0.messageType = "LtiSubmissionReviewRequest" }) == .unsupportedMessage("LtiSubmissionReviewRequest"))
        #expect(await refusal(of: try await variant { $0.version = "1.1" }) == .unsupportedVersion("1.1"))
        #expect(await refusal(of: try await variant { $0.resourceLink = nil })
            == .missingClaim("https://purl.imsglobal.org/spec/lti/claim/resource_link"))
        // Each refusal says what is wrong in words.
        #expect(LaunchRefusal.nonceReplayed.description.contains("already used"))
        #expect(LaunchRefusal.algorithmNotAllowed("HS256").description.contains("RS256 only"))
    }

    @Test func aPlatformsNewKeyIsFetchedButMadeUpKeysDoNotMakeItFetchedAgain() async throws {
        let platform = try Platform()
        let verifier = platform.verifier(refetchInterval: 60)
        let start = Date()
        _ = try await verifier.verify(try await platform.key.sign(platform.claims(now: start, nonce: "a")), expectedNonce: "a", now: start)
        // The platform rotates: a new key is published beside the old one.
        let next = try ToolKey.generate()
        platform.published.withLock { $0.append(next) }
        let rotated = try await next.sign(platform.claims(now: start, nonce: "b"))
        // Within a minute of the last read an unknown key does not make the set be read again…
        await #expect(throws: LaunchRefusal.unknownKey(next.id)) { try await verifier.verify(rotated, expectedNonce: "b", now: start + 10) }
        #expect(platform.reads.withLock { $0 } == 1)
        // …after it, it does, and the new key verifies its launch.
        _ = try await verifier.verify(rotated, expectedNonce: "b", now: start + 61)
        #expect(platform.reads.withLock { $0 } == 2)
        // A made-up key right after: refused without another read.
        let madeUp = try ToolKey.generate()
        await #expect(throws: LaunchRefusal.unknownKey(madeUp.id)) {
            try await verifier.verify(try await madeUp.sign(platform.claims(now: start, nonce: "c")), expectedNonce: "c", now: start + 70)
        }
        #expect(platform.reads.withLock { $0 } == 2)
    }

    @Test func theToolsKeysArePublishedByThumbprintAndOtherEntriesOfAKeySetAreSkipped() async throws {
        let key = try ToolKey.generate()
        #expect(try ToolKey(privateKeyPEM: key.privateKeyPEM, created: key.created) == key)
        let older = try ToolKey.generate(now: Date().addingTimeInterval(-86_400))
        let set = try JSONSerialization.jsonObject(with: ToolKey.keySet([older, key])) as! [String: [[String: String]]]
        #expect(set["keys"]?.map { $0["kid"] } == [key.id, older.id])
        #expect(set["keys"]?.allSatisfy { $0["alg"] == "RS256" && $0["use"] == "sig" && $0["kty"] == "RSA" && $0["d"] == nil } == true)
        #expect(key.id.count == 43)

        // A platform's set with an encryption key and a symmetric one beside its signing key.
        var document = try JSONSerialization.jsonObject(with: ToolKey.keySet([key])) as! [String: [[String: String]]]
        document["keys"]! += [["kty": "RSA", "use": "enc", "alg": "RSA-OAEP-256", "kid": "enc-1", "n": key.publicJWK.n, "e": "AQAB"],
                              ["kty": "oct", "kid": "secret", "k": "c2VjcmV0"]]
        let data = try JSONSerialization.data(withJSONObject: document)
        let keys = PlatformKeys { _ in data }
        let url = URL(string: "https://lms.example.test/jwks")!
        _ = try await keys.keys(at: url, holding: key.id)
        await #expect(throws: LaunchRefusal.unknownKey("enc-1")) { _ = try await keys.keys(at: url, holding: "enc-1") }
        let broken = PlatformKeys { _ in throw URLError(.cannotConnectToHost) }
        await #expect { _ = try await broken.keys(at: url, holding: key.id) } throws: { ($0 as? LaunchRefusal)?.code == "platform-keys-unavailable" }
    }
}
