import Foundation
import Synchronization

/// Wakes idle workers when a job is queued or given back, instead of leaving them to their
/// next poll. A store signals it as the job's row is written (in this process, or, for a
/// database server, when another node's notification arrives); each waiter waits for the
/// next signal or its own timeout, whichever comes first.
package final class JobSignal: Sendable {
    private struct Waiters {
        var waiting: [UUID: CheckedContinuation<Void, Never>] = [:]
        /// Waits cancelled before their continuation was registered.
        var cancelled: Set<UUID> = []
    }

    private let waiters = Mutex(Waiters())

    package init() {}

    /// Wakes everyone waiting now.
    package func signal() {
        let woken = waiters.withLock { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns at the next signal, after `seconds`, or when the task is cancelled.
    package func wait(upTo seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.nextSignal() }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func nextSignal() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let registered = waiters.withLock { state in
                    guard state.cancelled.remove(id) == nil else { return false }
                    state.waiting[id] = continuation
                    return true
                }
                if !registered { continuation.resume() }
            }
        } onCancel: {
            let continuation = waiters.withLock { state in
                guard let continuation = state.waiting.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil as CheckedContinuation<Void, Never>?
                }
                return continuation
            }
            continuation?.resume()
        }
    }
}
