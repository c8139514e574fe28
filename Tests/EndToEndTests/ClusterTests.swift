import EdControlEngine
@testable import EdControlTestSupport
import Foundation
import Testing

/// The cluster as an operator runs it, real processes on real PostgreSQL and SeaweedFS:
/// scripts/cluster-check.sh 6 (two API nodes and two workers, a worker killed in the middle
/// of a job) and scripts/fault-check.sh (the database and the file store each halted in the
/// middle of an upload and of an analysis).
@Suite("Cluster")
struct ClusterTests {
    /// Runs a script of scripts/ on a thread of its own (it takes minutes) and returns its
    /// exit status, its last line of output split into words, and the end of its log.
    private func check(_ script: String, _ arguments: [String] = []) async throws -> (status: Int32, figures: [String], log: String) {
        let path = Fixtures.repository.appendingPathComponent("scripts/\(script)").path
        let result = try await onOwnThread { try Fixtures.run("/bin/bash", [path] + arguments) }
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return (result.status, line.split(separator: " ").map(String.init), line + "\n" + result.stderr.suffix(3000))
    }

    /// Six lessons, as the proof asks (about 3 minutes alone); the exit status also
    /// says the surviving worker's /metrics counted its jobs and refused a scraper without the token.
    @Test func twoNodesAndTwoWorkersLoseNothingWhenAWorkerIsKilled() async throws {
        let (status, figures, log) = try await check("cluster-check.sh", ["6"])
        #expect(status == 0, "\(log)")
        // lessons N succeeded N lost 0 duplicated 0 max-attempts K p50-pickup-ms X
        #expect(figures.count == 12 && Array(figures[0..<8]) == ["lessons", "6", "succeeded", "6", "lost", "0", "duplicated", "0"], "\(log)")
        #expect(figures.count == 12 && (Int(figures[9]) ?? 0) >= 2, "the killed worker's job was taken again: \(log)")
    }

    @Test func theDatabaseOrTheFilesGoingAwayLoseNothingAndLeaveNothingHalfStored() async throws {
        let (status, figures, log) = try await check("fault-check.sh")
        #expect(status == 0, "\(log)")
        // uploads-refused 2 leftovers 0 analysed 2 succeeded 2 duplicated 0 max-attempts K
        #expect(Array(figures.prefix(10)) == ["uploads-refused", "2", "leftovers", "0", "analysed", "2", "succeeded", "2", "duplicated", "0"], "\(log)")
        #expect(figures.count == 12, "\(log)")
    }
}
