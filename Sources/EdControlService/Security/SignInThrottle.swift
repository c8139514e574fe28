import EdControlStorage
import Foundation

/// Slows down password guessing: after `perAccount` failed sign-ins to one account, or
/// `perAddress` from one address, within `window`, further attempts are refused with 429
/// and Retry-After (by the sign-in page), before the password is checked, so guessing costs
/// no bcrypt time either. Each attempt is counted *before* its password is checked, in the
/// same store transaction that checks the limit: N attempts sent at once are never more than
/// the limit, and a successful one takes its count back. Counts are kept in the store, so
/// every server process behind a load balancer counts the same ones. A successful sign-in
/// also clears its account's count.
package struct SignInThrottle: Sendable {
    var perAccount = 5
    var perAddress = 20
    var window: TimeInterval = 15 * 60
    let store: AccessStore

    package init(store: AccessStore) { self.store = store }

    package enum Decision: Equatable {
        /// The attempt is counted as a failure until `succeeded(_:email:)` takes it back.
        case counted(attempt: String)
        /// Refused: this many seconds until the account and the address may try again.
        case wait(TimeInterval)
    }

    package func begin(email: String, address: String?) async throws -> Decision {
        let now = Date()
        let limits = [SignInLimit(key: Self.accountKey(email), attempts: perAccount)]
            + (address.map { [SignInLimit(key: "address:" + $0, attempts: perAddress)] } ?? [])
        switch try await store.countSignInAttempt(limits, at: now, window: window) {
        case .counted(let attempt): return .counted(attempt: attempt)
        case .refused(let until): return .wait(max(1, until.timeIntervalSince(now)))
        }
    }

    /// Takes back the attempt's count and clears the account's failures.
    package func succeeded(_ attempt: String, email: String) async throws {
        try await store.forgetSignInAttempt(attempt, clearing: Self.accountKey(email))
    }

    /// Lifts the lock on an account (a new password from an administrator).
    package func clear(email: String) async throws {
        try await store.clearSignInFailures(key: Self.accountKey(email))
    }

    private static func accountKey(_ email: String) -> String { "account:" + email.lowercased() }
}
