import Foundation

/// Where an analysis spent its time: for each stage, the seconds it took and the CPU seconds
/// spent on it, in the order the stages first ran (`edcontrol analyze --timings`,
/// scripts/benchmark.sh). A stage measured in several pieces is one line.
public final class StageTimes: @unchecked Sendable {
    // @unchecked: `entries` is only touched under `lock`.
    public struct Entry: Sendable, Equatable {
        public var stage: String
        public var wallSeconds: Double
        public var cpuSeconds: Double
    }

    private let lock = NSLock()
    private var entries: [Entry] = []

    public init() {}

    public var all: [Entry] { lock.withLock { entries } }
    /// The stages' sums (CPU seconds add up when the stages ran on different threads).
    var wallSeconds: Double { all.reduce(0) { $0 + $1.wallSeconds } }
    var cpuSeconds: Double { all.reduce(0) { $0 + $1.cpuSeconds } }

    func add(_ entries: [Entry]) {
        for entry in entries { add(entry.stage, wallSeconds: entry.wallSeconds, cpuSeconds: entry.cpuSeconds) }
    }

    public func add(_ stage: String, wallSeconds: Double, cpuSeconds: Double) {
        lock.withLock {
            if let index = entries.firstIndex(where: { $0.stage == stage }) {
                entries[index].wallSeconds += wallSeconds
                entries[index].cpuSeconds += cpuSeconds
            } else {
                entries.append(Entry(stage: stage, wallSeconds: wallSeconds, cpuSeconds: cpuSeconds))
            }
        }
    }

    /// Runs `body`, adding its time and the CPU time of this thread to `stage`: for work done
    /// on one thread while other stages run on others.
    func onThisThread<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        try measure(stage, cpu: Self.threadCPUSeconds, body)
    }

    /// Runs `body`, adding its time and the CPU time of the whole process (and of the
    /// programs it ran, such as ffmpeg) to `stage`: for work that spreads over threads.
    func inThisProcess<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        try measure(stage, cpu: Self.processCPUSeconds, body)
    }

    private func measure<T>(_ stage: String, cpu: () -> Double, _ body: () throws -> T) rethrows -> T {
        let (wallStart, cpuStart) = (Date(), cpu())
        defer { add(stage, wallSeconds: Date().timeIntervalSince(wallStart), cpuSeconds: cpu() - cpuStart) }
        return try body()
    }

    static func threadCPUSeconds() -> Double { seconds(of: CLOCK_THREAD_CPUTIME_ID) }

    public static func processCPUSeconds() -> Double {
        var children = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &children)
        let childSeconds = Double(children.ru_utime.tv_sec + children.ru_stime.tv_sec)
            + Double(children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6
        return seconds(of: CLOCK_PROCESS_CPUTIME_ID) + childSeconds
    }

    private static func seconds(of clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
