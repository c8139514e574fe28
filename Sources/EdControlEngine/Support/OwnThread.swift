import Foundation

/// Runs long, blocking, CPU-bound work (an analysis, a transcription) on a thread of its own rather than on
/// one of the few threads Swift concurrency shares between all tasks.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 16 << 20
        thread.start()
    }
}
