import Foundation

/// Runs one pipeline stage on its own thread, so it overlaps with the stage feeding it
/// (speech detection feeds voice embedding; on two cores both then run at once).
/// Jobs run in submission order against state that only the stage's thread touches;
/// `submit` blocks while `capacity` jobs are waiting, which bounds memory.
final class BackgroundStage<State>: @unchecked Sendable {
    // @unchecked: `state` is touched only by jobs on the serial `queue`, and read by
    // `finish()` after the queue has drained.
    private var state: State
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore

    init(_ label: String, state: State, capacity: Int = 4) {
        self.state = state
        queue = DispatchQueue(label: label)
        slots = DispatchSemaphore(value: capacity)
    }

    func submit(_ job: @escaping @Sendable (inout State) -> Void) {
        slots.wait()
        queue.async { [self] in
            job(&state)
            slots.signal()
        }
    }

    /// Waits for every submitted job and hands back the final state.
    func finish() -> State {
        queue.sync { state }
    }
}
