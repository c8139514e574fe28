import ArgumentParser
import EdControlBackends
import EdControlStorage
import Foundation

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "The job queue's own figures.", subcommands: [Benchmark.self])

    struct Benchmark: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measures the job queue of --database: claims per second with --jobs queued and --claimers claiming at once, and how soon an idle worker on another connection takes a new job (p50, p99).",
            discussion: "It queues lessons of a school of its own that are never analysed and stay: run it on a database of its own (scripts/benchmark-cluster.sh does).")

        @Option(name: .long, help: "Jobs queued before claiming starts.")
        var jobs = 10_000

        @Option(name: .long, help: "Claimers claiming at once.")
        var claimers = 8

        @Option(name: .long, help: "New jobs whose pickup by an idle worker is timed.")
        var pickups = 100

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let queueing = try await dataOptions.backend().store
            // The idle worker is another node: its own connection, woken the way a worker is.
            let worker = try await dataOptions.backend().store
            guard let school = try await queueing.school(named: "queue benchmark \(UUID().uuidString)", createIfMissing: true) else { return }

            let queued = try await Self.timed {
                try await Self.concurrently(claimers, share: jobs) { count in
                    for _ in 0..<count { _ = try await queueing.addLesson(Self.lesson(of: school.id), maxAttempts: 3) }
                }
            }
            let claims = try await Self.timed {
                try await Self.concurrently(claimers, share: jobs) { _ in
                    while try await queueing.claimNext(workerID: "benchmark-\(UUID().uuidString.prefix(8))", leaseSeconds: 3600) != nil {}
                }
            }
            print(String(format: "claims %d per second (%d jobs queued in %.1f s, claimed by %d claimers in %.2f s)",
                         Int(Double(jobs) / claims), jobs, queued, claimers, claims))

            await worker.waitForWork(upTo: 0.5)  // starts listening, where the database notifies
            var pickup: [Double] = []
            for _ in 0..<pickups {
                async let taken: Date? = {
                    await worker.waitForWork(upTo: 5)
                    return try await worker.claimNext(workerID: "benchmark-idle", leaseSeconds: 3600) != nil ? Date() : nil
                }()
                try await Task.sleep(for: .milliseconds(50))  // the worker is waiting
                let queuedAt = Date()
                _ = try await queueing.addLesson(Self.lesson(of: school.id), maxAttempts: 3)
                if let takenAt = try await taken { pickup.append(takenAt.timeIntervalSince(queuedAt) * 1000) }
            }
            pickup.sort()
            guard !pickup.isEmpty else { throw ValidationFailure(message: "no job was picked up") }
            let percentile = { (p: Double) in pickup[min(pickup.count - 1, Int((p * Double(pickup.count)).rounded(.up)) - 1)] }
            print(String(format: "pickup by an idle worker: p50 %.1f ms, p99 %.1f ms (%d new jobs, from the call that queued each to its claim)",
                         percentile(0.5), percentile(0.99), pickup.count))
        }

        static func lesson(of school: String) -> Lesson {
            Lesson(id: UUID().uuidString.lowercased(), schoolID: school, teacherID: nil, title: "Queue benchmark", originalFilename: "none.wav",
                   mediaBytes: 0, mediaFile: nil, durationSeconds: 60, hasVideo: false, recordedAt: nil, recordedAtHasTime: true,
                   uploadedAt: Date(), uploadedBy: "queue benchmark", flag: nil, incidentCount: nil, teacherTalkPercent: nil,
                   speakerCount: nil, teacherNegativeShare: nil, analysedAt: nil)
        }

        static func timed(_ body: () async throws -> Void) async throws -> Double {
            let start = Date()
            try await body()
            return Date().timeIntervalSince(start)
        }

        /// `tasks` tasks at once, each given its share of `total`.
        static func concurrently(_ tasks: Int, share total: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<tasks { group.addTask { try await body(total / tasks + (task < total % tasks ? 1 : 0)) } }
                try await group.waitForAll()
            }
        }
    }
}
