import Foundation

/// Nonces kept in memory, forgotten once expired: for one server process and for tests.
public actor MemoryNonceRegistry: NonceRegistry {
    private var seen: [String: Date] = [:]

    public init() {}

    public func firstUse(of nonce: String, issuer: String, expiry: Date) async -> Bool {
        let now = Date()
        seen = seen.filter { $0.value > now }
        return seen.updateValue(expiry, forKey: issuer + " " + nonce) == nil
    }
}
