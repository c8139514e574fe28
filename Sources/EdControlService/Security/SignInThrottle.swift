import Foundation

/// Slows down password guessing: after `perAccount` failed sign-ins to one account, or
/// `perAddress` from one address, within `window`, further attempts are refused with 429
/// and Retry-After (by the sign-in page) — before the password is checked, so guessing costs no bcrypt time
/// either. Failures are kept in the store, so every server process behind a load balancer
/// counts the same ones. A successful sign-in clears its account's count.
struct SignInThrottle: Sendable {
    var perAccount = 5
    var perAddress = 20
    var window: TimeInterval = 15 * 60
    let store: AccessStore

    /// How many seconds until this account and this address may try again; nil when they may now.
    func wait(email: String, address: String?) async throws -> TimeInterval? {
        let now = Date()
        var wait: TimeInterval = 0
        for (key, limit) in keys(email: email, address: address) {
            let failures = try await store.signInFailures(key: key, since: now.addingTimeInterval(-window))
            guard failures.count >= limit else { continue }
            // Allowed again once enough of these failures have left the window.
            let freeing = failures[failures.count - limit]
            wait = max(wait, freeing.addingTimeInterval(window).timeIntervalSince(now))
        }
        return wait > 0 ? wait : nil
    }

    func failed(email: String, address: String?) async throws {
        let now = Date()
        try await store.recordSignInFailure(keys: keys(email: email, address: address).map(\.key), at: now, forgetBefore: now.addingTimeInterval(-window))
    }

    func succeeded(email: String) async throws {
        try await store.clearSignInFailures(key: Self.accountKey(email))
    }

    private func keys(email: String, address: String?) -> [(key: String, limit: Int)] {
        [(Self.accountKey(email), perAccount)] + (address.map { [("address:" + $0, perAddress)] } ?? [])
    }

    private static func accountKey(_ email: String) -> String { "account:" + email.lowercased() }
}
