@testable import EdControlTestSupport
import Foundation
import Testing

/// The cluster as an operator runs it: scripts/cluster-check.sh starts PostgreSQL, SeaweedFS,
/// two API nodes and two workers (real processes), uploads lessons through both nodes, kills
/// a worker in the middle of a job and checks that every lesson succeeded exactly once with
/// its files in the bucket.
@Suite("Cluster")
struct ClusterTests {
    @Test func twoNodesAndTwoWorkersLoseNothingWhenAWorkerIsKilled() throws {
        let result = try Fixtures.run("/bin/bash", [Fixtures.repository.appendingPathComponent("scripts/cluster-check.sh").path, "2"])
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(result.status == 0, "\(line)\n\(result.stderr.suffix(3000))")
        let figures = line.split(separator: " ")
        // lessons N succeeded N lost 0 duplicated 0 max-attempts K p50-pickup-ms X
        #expect(figures.count == 12 && Array(figures[0..<8]) == ["lessons", "2", "succeeded", "2", "lost", "0", "duplicated", "0"], "\(line)")
        #expect(figures.count == 12 && (Int(figures[9]) ?? 0) >= 2, "the killed worker's job was taken again: \(line)")
    }
}
