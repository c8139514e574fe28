@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
import Foundation
import GRDB
import Testing

/// A data folder written by an earlier release opens with this one without loss: every row
/// and file is still there and read through the API, the sessions' passwords and the tokens
/// still work, and the lessons' list figures are brought up to this release's way of working
/// them out.
@Suite("Upgrades")
struct UpgradeTests {
    /// Each fixture is a real data folder of an earlier release, made by
    /// scripts/make-upgrade-fixture.sh from that release's binary.
    static let fixtures = Fixtures.repository.appendingPathComponent("Tests/Fixtures/upgrade")

    /// Rebuilds the fixture's data folder: its database, its result files, and its recordings
    /// copied from where they came from (checked against their sha256).
    private func dataFolder(from fixture: URL) throws -> (folder: URL, lessons: [String]) {
        let folder = try Fixtures.temporaryDirectory("upgrade-\(fixture.lastPathComponent)")
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("edcontrol.sqlite"), to: folder.appendingPathComponent("edcontrol.sqlite"))
        let lessons = fixture.appendingPathComponent("lessons")
        try FileManager.default.copyItem(at: lessons, to: folder.appendingPathComponent("lessons"))
        var ids: [String] = []
        for line in try String(contentsOf: fixture.appendingPathComponent("recordings.txt"), encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            let source = fields[3].hasPrefix("/") ? URL(fileURLWithPath: fields[3]) : Fixtures.repository.appendingPathComponent(fields[3])
            let recording = folder.appendingPathComponent("lessons/\(fields[0])/\(fields[1])")
            try FileManager.default.copyItem(at: source, to: recording)
            let copied = try DataBackup.entry("lessons/\(fields[0])/\(fields[1])", in: folder)
            #expect(copied.sha256 == fields[2], "\(source.path) is the recording the fixture had")
            ids.append(fields[0])
        }
        return (folder, ids)
    }

    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted())
    func aDataFolderOfAnEarlierReleaseOpensWhole(_ release: String) async throws {
        let fixture = Self.fixtures.appendingPathComponent(release)
        let (folder, lessonIDs) = try dataFolder(from: fixture)
        let before = try await DatabaseQueue(path: folder.appendingPathComponent("edcontrol.sqlite").path).read { db in
            (lessons: try Int.fetchOne(db, sql: "SELECT count(*) FROM lesson")!, reviews: try Int.fetchOne(db, sql: "SELECT count(*) FROM incident_review")!,
             users: try Int.fetchOne(db, sql: "SELECT count(*) FROM user")!, audit: try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event")!)
        }
        let server = try RunningServer(data: folder, arguments: ["--workers", "0"])
        // The earlier release's token and a manager's password still work.
        let token = try String(contentsOf: fixture.appendingPathComponent("TOKEN"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let lessons = try await server.request("GET", "/api/v1/lessons", token: token).json()
        #expect(lessons["total"] as? Int == before.lessons && before.lessons == lessonIDs.count)
        for id in lessonIDs {
            let stored = try Data(contentsOf: fixture.appendingPathComponent("lessons/\(id)/results/report.json"))
            let report = try await server.request("GET", "/api/v1/lessons/\(id)/report.json", token: token)
            #expect(report.status == 200 && report.body == stored, "\(release): lesson \(id)'s report")
            #expect(try await server.request("GET", "/api/v1/lessons/\(id)/recording", token: token).status == 200)
            let listed = try await server.request("GET", "/api/v1/lessons/\(id)", token: token).json()
            #expect((listed["lesson"] as? [String: Any])?["teacherID"] as? String != nil, "\(String(describing: listed["lesson"]))")
        }
        let reviews = try await server.request("GET", "/api/v1/reviews", token: token).json()
        let items = try #require(reviews["items"] as? [[String: Any]])
        #expect(items.count == before.reviews && items.contains { $0["correctedEnd"] as? Double == 6.5 }, "\(items)")
        // The registry's challenger, its shadow run with both lessons' results, the school's webhook and its deliveries.
        let registry = try await server.request("GET", "/api/v1/registry", token: token).json()
        let configurations = (registry["configurations"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(configurations.contains("fixture-challenger"), "\(configurations)")
        let shadow = try #require(registry["shadow"] as? [String: Any], "the shadow run: \(registry)")
        #expect((shadow["run"] as? [String: Any])?["name"] as? String == "fixture-challenger")
        #expect((shadow["comparison"] as? [String: Any])?["lessons"] as? Int == lessonIDs.count, "\(shadow)")
        for id in lessonIDs {
            #expect(LessonReport.read(from: folder.appendingPathComponent("lessons/\(id)/shadow/fixture-challenger/report.json")) != nil)
        }
        let webhooks = try #require(try await server.request("GET", "/api/v1/webhooks", token: token).json()["items"] as? [[String: Any]])
        let webhook = try #require(webhooks.first?["id"] as? String, "the school's webhook")
        let deliveries = try await server.request("GET", "/api/v1/webhooks/\(webhook)/deliveries", token: token).json()["items"] as? [[String: Any]]
        #expect((deliveries ?? []).filter { $0["state"] as? String == "delivered" && $0["event"] as? String == "job.succeeded" }.count == lessonIDs.count,
                "\(String(describing: deliveries))")
        let signIn = try await server.request("POST", "/sign-in", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                              body: Data("email=manager%40school.test&password=a+long+enough+password".utf8))
        #expect(signIn.status == 303, "the manager signs in with the password set under the earlier release")
        // The transcript of the spoken lesson is found by its words.
        let transcripts = lessonIDs.compactMap { try? String(contentsOf: fixture.appendingPathComponent("lessons/\($0)/results/transcript.txt"), encoding: .utf8) }
        // A word said (after the line's "[0:00:00] S1 (teacher): ").
        var words: [String] = []
        for line in transcripts.joined(separator: "\n").split(separator: "\n") {
            guard let speaker = line.range(of: "): ") else { continue }
            words += line[speaker.upperBound...].split(whereSeparator: { !$0.isLetter }).map(String.init)
        }
        let word = try #require(words.first { $0.count >= 5 }, "a transcript in the fixture")
        let search = try await server.request("GET", "/api/v1/transcripts/search?q=\(word)", token: token).json()
        #expect(((search["hits"] as? [Any]) ?? []).count > 0, "\(word): \(search)")
        // Every row is still there, and the list figures were worked out again from the reports.
        let after = try await DatabaseQueue(path: folder.appendingPathComponent("edcontrol.sqlite").path).read { db in
            (lessons: try Int.fetchOne(db, sql: "SELECT count(*) FROM lesson")!, reviews: try Int.fetchOne(db, sql: "SELECT count(*) FROM incident_review")!,
             users: try Int.fetchOne(db, sql: "SELECT count(*) FROM user")!,
             outdated: try Int.fetchOne(db, sql: "SELECT count(*) FROM lesson WHERE summary_version < ?", arguments: [AnalysisSummary.version])!)
        }
        #expect(after.lessons == before.lessons && after.reviews == before.reviews && after.users == before.users)
        #expect(after.outdated == 0)
    }
}
