@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
import EdControlReports
@testable import EdControlService
import Foundation
import GRDB
import Synchronization
import Testing

/// `edcontrol backup`, `backup verify` and `restore` on a real data folder, while its server
/// runs: the restored folder serves the same lessons, reports, reviews and tokens.
@Suite("Backups and restores")
struct BackupTests {
    @Test func aBackupMadeWhileTheServerRunsIsCheckedAndRestoresWhole() async throws {
        let server = try RunningServer()
        let token = try server.token(school: "School A", role: "admin")
        let media = Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4")
        let upload = try await server.request("POST", "/api/v1/lessons?filename=crying.mp4&title=Algebra%207B", token: token, file: media).json()
        let lesson = try #require((upload["lesson"] as? [String: Any])?["id"] as? String)
        let job = try #require((upload["job"] as? [String: Any])?["id"] as? String)
        #expect(try await server.waitForJob(job, token: token)["state"] as? String == "succeeded")
        let reviewed = try await server.request("POST", "/api/v1/lessons/\(lesson)/incidents/0/review", token: token,
                                                body: Data(#"{"verdict": "confirmed"}"#.utf8))
        #expect(reviewed.status == 201 || reviewed.status == 200, "\(reviewed.status) \(reviewed.text)")
        let report = try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: token).body
        let password = "a long enough password"
        let manager = try Fixtures.run(Fixtures.edcontrol, ["user", "create", "--data", server.data.path, "--school", "School A",
                                                            "--email", "olga@school.test", "--role", "manager", "--password", password])
        #expect(manager.status == 0, "\(manager.stderr)")

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
        // The manager signs in to the copy with the same password and reads the list and the lesson with its review.
        let signIn = try await copy.request("POST", "/sign-in", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                            body: Data("email=olga%40school.test&password=\(password.replacingOccurrences(of: " ", with: "+"))".utf8))
        let cookie = try #require(signIn.headers["set-cookie"]?.split(separator: ";").first.map(String.init), "\(signIn.status)")
        for (page, shows) in [("/lessons", ["Algebra 7B"]), ("/lessons/\(lesson)", ["Algebra 7B", "Confirmed by a reviewer"])] {
            let reply = try await copy.request("GET", page, headers: ["Cookie": cookie])
            #expect(reply.status == 200 && shows.allSatisfy(reply.text.contains), "\(page): \(reply.status)")
        }

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

    /// A school's lessons in a real data folder, with the service that changes them.
    private struct School {
        let data: DataDirectory
        let store: SQLiteStore
        let lessons: LessonService
        let manager: Principal

        init() async throws {
            data = try DataDirectory(Fixtures.temporaryDirectory("backup-school"))
            store = try SQLiteStore(path: data.database.path)
            lessons = LessonService(store: store, files: LocalFolderFiles(data))
            let school = try #require(try await store.school(named: "School A", createIfMissing: true))
            let token = try await store.createToken(schoolID: school.id, name: "manager", role: .manager, expiresAt: nil).token
            manager = Principal(tokenID: token.id, tokenName: token.name, schoolID: school.id, role: .manager)
        }

        /// A lesson of a real recording, as uploaded.
        func upload() async throws -> LessonWithJob {
            try await lessons.upload(file: URL(fileURLWithPath: Fixtures.librivox[0]), details: .init(title: nil, originalFilename: "lesson.wav", teacherID: nil, recordedAt: nil), by: manager)
        }

        /// Takes the next job and publishes a report that names it, as a worker does.
        func analyseNext(reporting report: LessonReport) async throws {
            let job = try #require(try await store.claimNext(workerID: "w", leaseSeconds: 60))
            var named = report
            named.generatedAt = job.id
            try await lessons.files.writeFolder(try FileName.results(lessonID: job.lessonID, set: ResultsSet.run(of: job))) { folder in
                for file in ["timeline.vtt", "incidents.csv", "diarization.rttm"] {
                    try Data("made by job \(job.id)\n".utf8).write(to: folder.appendingPathComponent(file))
                }
                try JSONEncoder().encode(named).write(to: folder.appendingPathComponent(ReportWriter.reportFile))
            }
            #expect(try await lessons.publish(named, job: job, workerID: "w"))
        }

        func backUp(progress: @escaping @Sendable (Double) -> Void = { _ in }) async throws -> (URL, BackupManifest) {
            let archive = try Fixtures.temporaryDirectory("backup").appendingPathComponent("school.tar")
            let (data, store) = (data, store)
            return (archive, try await onOwnThread { try DataBackup(data: data).create(to: archive, store: store, progress: progress) })
        }
    }

    /// Backups taken while a lesson is analysed again and again hold, each, the results of
    /// the job the backup's database says succeeded last: never a gap, never another job's.
    @Test func aBackupTakenWhileResultsArePublishedHoldsThemWithTheirRows() async throws {
        let school = try await School()
        let lesson = try await school.upload().lesson.id
        // A real report (of the upgrade fixture's first lesson) that each analysis publishes again.
        let fixtureLessons = UpgradeTests.fixtures.appendingPathComponent("v0.1.0/lessons")
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: fixtureLessons.path).sorted().first)
        let report = try #require(LessonReport.read(from: fixtureLessons.appendingPathComponent("\(first)/results/report.json")))
        try await school.analyseNext(reporting: report)

        final class Count: Sendable { let value = Atomic(0) }
        let published = Count()
        let publisher = Task {
            while !Task.isCancelled {
                do {
                    _ = try await school.lessons.reanalyse(lesson, by: school.manager)
                    try await school.analyseNext(reporting: report)
                    published.value.add(1, ordering: .relaxed)
                } catch where Task.isCancelled {
                    break
                }
            }
        }
        // Backups until a dozen analyses were published meanwhile (however busy the machine
        // keeps the publishing task).
        var backups = 0
        while published.value.load(ordering: .relaxed) < 12, backups < 500 {
            backups += 1
            let (archive, manifest) = try await school.backUp()
            #expect(manifest.missing.isEmpty && manifest.lessons == 1)
            let unpacked = try Fixtures.temporaryDirectory("unpacked")
            try DataBackup.unpackChecked(archive, into: unpacked)
            let (lastSucceeded, named) = try await DatabaseQueue(path: unpacked.appendingPathComponent("edcontrol.sqlite").path).read { db in
                (try String.fetchOne(db, sql: "SELECT id FROM job WHERE lesson_id = ? AND state = 'succeeded' ORDER BY finished_at DESC, rowid DESC LIMIT 1",
                                     arguments: [lesson]),
                 try String.fetchOne(db, sql: "SELECT results_set FROM lesson WHERE id = ?", arguments: [lesson]))
            }
            #expect(named?.hasPrefix("results-\(lastSucceeded ?? "")-") == true, "the lesson names the set of job \(named ?? "none")")
            let sets = try FileManager.default.contentsOfDirectory(atPath: unpacked.appendingPathComponent("lessons/\(lesson)").path).filter { $0.hasPrefix("results") }
            #expect(sets == [named ?? ""], "the backup holds the named set of results only: \(sets)")
            let results = unpacked.appendingPathComponent("lessons/\(lesson)/\(named ?? "")")
            let backedUp = LessonReport.read(from: results.appendingPathComponent(ReportWriter.reportFile))
            #expect(backedUp?.generatedAt == lastSucceeded, "the report of job \(backedUp?.generatedAt ?? "none") beside the rows of job \(lastSucceeded ?? "none")")
            let timeline = try String(contentsOf: results.appendingPathComponent("timeline.vtt"), encoding: .utf8)
            #expect(timeline == "made by job \(lastSucceeded ?? "")\n")
        }
        publisher.cancel()
        try await publisher.value
        #expect(published.value.load(ordering: .relaxed) >= 12, "too few analyses published during \(backups) backups to test them")
    }

    /// A lesson erased during a backup is in it whole (the erasure waits for the copy), and a
    /// file lost outside EdControl is recorded as missing, not fatal.
    @Test func aLessonErasedDuringABackupIsInItWholeAndALostFileIsRecorded() async throws {
        let school = try await School()
        let ids = try await [school.upload(), school.upload(), school.upload()].map(\.lesson).sorted { $0.id < $1.id }
        let (first, erased, lost) = (ids[0], ids[1], ids[2])
        let lostRecording = school.data.root.appendingPathComponent(try #require(try FileName.recording(of: lost)).path)
        let erasedFolder = school.data.root.appendingPathComponent(try FileName.lesson(erased.id).path)
        final class Erasure: Sendable { let task = Mutex<Task<Void, any Error>?>(nil) }
        let erasure = Erasure()
        let (archive, manifest) = try await school.backUp { [school] fraction in
            // Once the first lesson is linked: the school erases the second, a disk loses the third's recording.
            guard fraction > 0, fraction < 0.4 / 3 + 0.001, erasure.task.withLock({ $0 == nil }) else { return }
            erasure.task.withLock { $0 = Task { try await school.lessons.erase(erased.id, by: school.manager) } }
            Thread.sleep(forTimeInterval: 0.5)
            try? FileManager.default.removeItem(at: lostRecording)
        }
        #expect(manifest.lessons == 3 && manifest.missing == ["lessons/\(lost.id)/\(lost.mediaFile ?? "")"], "\(manifest.missing)")
        try await #require(erasure.task.withLock { $0 }).value
        #expect(!FileManager.default.fileExists(atPath: erasedFolder.path), "the erasure went ahead after the copy")
        #expect(try await school.store.lesson(id: erased.id, schoolID: school.manager.schoolID) == nil)

        let restored = try Fixtures.temporaryDirectory("restored")
        _ = try DataBackup.restore(archive, into: restored)
        let copy = try SQLiteStore(path: restored.appendingPathComponent("edcontrol.sqlite").path)
        for lesson in [first, erased, lost] {
            #expect(try await copy.lesson(id: lesson.id, schoolID: school.manager.schoolID) != nil)
        }
        let erasedRecording = restored.appendingPathComponent("lessons/\(erased.id)/\(erased.mediaFile ?? "")")
        #expect(try Data(contentsOf: erasedRecording) == Data(contentsOf: URL(fileURLWithPath: Fixtures.librivox[0])),
                "the erased lesson's recording is in the backup taken before its erasure")
        #expect(!FileManager.default.fileExists(atPath: restored.appendingPathComponent("lessons/\(lost.id)/\(lost.mediaFile ?? "")").path))
    }
}
