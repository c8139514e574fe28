@testable import EdControlService
import Foundation
import Testing

/// `edcontrol backup`, `backup verify` and `restore` on a real data folder, while its server
/// runs: the restored folder serves the same lessons, reports, reviews and tokens.
@Suite("Backups and restores")
struct BackupTests {
    @Test func aBackupMadeWhileTheServerRunsIsCheckedAndRestoresWhole() async throws {
        let server = try RunningServer()
        let token = try server.token(school: "School A", role: "admin")
        let media = Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4")
        let upload = try await server.request("POST", "/api/v1/lessons?filename=crying.mp4", token: token, file: media).json()
        let lesson = try #require((upload["lesson"] as? [String: Any])?["id"] as? String)
        let job = try #require((upload["job"] as? [String: Any])?["id"] as? String)
        #expect(try await server.waitForJob(job, token: token)["state"] as? String == "succeeded")
        let reviewed = try await server.request("POST", "/api/v1/lessons/\(lesson)/incidents/0/review", token: token,
                                                body: Data(#"{"verdict": "confirmed"}"#.utf8))
        #expect(reviewed.status == 201 || reviewed.status == 200, "\(reviewed.status) \(reviewed.text)")
        let report = try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: token).body

        // Backed up while the server runs; the archive is checked whole.
        let folder = try Fixtures.temporaryDirectory("backup")
        let archive = folder.appendingPathComponent("school.tar")
        let made = try Fixtures.run(Fixtures.edcontrol, ["backup", "--data", server.data.path, "--out", archive.path, "--quiet"])
        #expect(made.status == 0 && made.stdout.contains("1 lessons, 1 reviews"), "\(made.stdout) \(made.stderr)")
        let verified = try Fixtures.run(Fixtures.edcontrol, ["backup", "verify", archive.path])
        #expect(verified.status == 0 && verified.stdout.contains("whole"), "\(verified.stdout) \(verified.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["school.tar"], "no temporary archive left")

        // A damaged archive is refused, naming the file that changed.
        var bytes = try Data(contentsOf: archive)
        let recordingAt = try #require(bytes.range(of: try Data(contentsOf: media).prefix(4096)))
        bytes[recordingAt.lowerBound + 2000] ^= 0xFF
        let damaged = folder.appendingPathComponent("damaged.tar")
        try bytes.write(to: damaged)
        let refused = try Fixtures.run(Fixtures.edcontrol, ["backup", "verify", damaged.path])
        #expect(refused.status != 0 && refused.stderr.contains("damaged.tar is damaged: lessons/\(lesson)/recording.mp4 is not the file that was backed up"),
                "\(refused.stderr)")

        // Restored into a new folder (never over one in use), then served.
        let inUse = try Fixtures.run(Fixtures.edcontrol, ["restore", archive.path, "--data", server.data.path])
        #expect(inUse.status != 0 && inUse.stderr.contains("is not empty"), "\(inUse.stderr)")
        let target = folder.appendingPathComponent("restored")
        let restored = try Fixtures.run(Fixtures.edcontrol, ["restore", archive.path, "--data", target.path])
        #expect(restored.status == 0 && restored.stdout.contains("restored 1 schools, 1 lessons, 1 reviews"), "\(restored.stdout) \(restored.stderr)")
        let copy = try RunningServer(data: target, arguments: ["--workers", "0"])
        #expect(try await copy.request("GET", "/api/v1/lessons", token: token).json()["total"] as? Int == 1, "the token works on the copy")
        #expect(try await copy.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: token).body == report)
        #expect((try await copy.request("GET", "/api/v1/reviews", token: token).json()["items"] as? [Any])?.count == 1)
        let recording = try await copy.request("GET", "/api/v1/lessons/\(lesson)/recording", token: token)
        let original = try Data(contentsOf: media)
        #expect(recording.status == 200 && recording.body == original)

        // A backup from a newer release (a schema this one does not know) is refused, and leaves the folder empty.
        let unpacked = folder.appendingPathComponent("unpacked")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        try DataBackup.tar(["-xf", archive.path, "-C", unpacked.path])
        let manifestFile = unpacked.appendingPathComponent(DataBackup.manifestFile)
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestFile)) as! [String: Any]
        manifest["schemaVersion"] = SQLiteStore.schemaVersion + 1
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestFile)
        let newer = folder.appendingPathComponent("newer.tar")
        try DataBackup.tar(["-cf", newer.path, "-C", unpacked.path] + (try FileManager.default.contentsOfDirectory(atPath: unpacked.path)))
        let target2 = folder.appendingPathComponent("restored-newer")
        let tooNew = try Fixtures.run(Fixtures.edcontrol, ["restore", newer.path, "--data", target2.path])
        #expect(tooNew.status != 0 && tooNew.stderr.contains("was made by a newer release"), "\(tooNew.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: target2.path)) ?? []).isEmpty)
    }
}
