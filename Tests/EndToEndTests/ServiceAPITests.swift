@testable import EdControlTestSupport
import EdControlEngine
import EdControlReports
import EdControlService
import Foundation
import Testing

/// The service as a school runs it: a real `edcontrol serve` on loopback with a real
/// SQLite file, spoken to over HTTP.
@Suite("Service API")
struct ServiceAPITests {
    private let crying = Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4")

    private func upload(_ server: RunningServer, _ file: URL, token: String, query: String = "") async throws -> (lesson: String, job: String) {
        let reply = try await server.request("POST", "/api/v1/lessons?filename=\(file.lastPathComponent)\(query)", token: token, file: file)
        #expect(reply.status == 201, "\(reply.text)")
        let body = try reply.json()
        let lesson = try #require((body["lesson"] as? [String: Any])?["id"] as? String)
        let job = try #require((body["job"] as? [String: Any])?["id"] as? String)
        #expect(reply.headers["location"] == "/api/v1/lessons/\(lesson)")
        return (lesson, job)
    }

    @Test func everyRouteNeedsATokenOfTheRightRoleAndSchool() async throws {
        let server = try RunningServer(arguments: ["--workers", "0"], validated: true)  // jobs stay queued
        let adminA = try server.token(school: "School A", role: "admin")
        let viewerA = try server.token(school: "School A", role: "viewer")
        let managerB = try server.token(school: "School B", role: "manager")
        let (lesson, job) = try await upload(server, crying, token: adminA)

        let lessonRoutes = [("GET", "/api/v1/lessons/\(lesson)"), ("DELETE", "/api/v1/lessons/\(lesson)"),
                            ("POST", "/api/v1/lessons/\(lesson)/analyses"), ("GET", "/api/v1/lessons/\(lesson)/report.json"),
                            ("GET", "/api/v1/lessons/\(lesson)/diarization.rttm"), ("GET", "/api/v1/lessons/\(lesson)/timeline.vtt"),
                            ("GET", "/api/v1/lessons/\(lesson)/incidents.csv"), ("GET", "/api/v1/lessons/\(lesson)/recording"),
                            ("GET", "/api/v1/jobs/\(job)"),
                            ("POST", "/api/v1/jobs/\(job)/cancel"), ("POST", "/api/v1/lessons/\(lesson)/incidents/0/review"),
                            ("GET", "/api/v1/lessons/\(lesson)/reviews"), ("GET", "/api/v1/lessons/\(lesson)/reviews/episodes.json")]
        let collectionRoutes = [("GET", "/api/v1/lessons"), ("POST", "/api/v1/lessons"), ("GET", "/api/v1/teachers"),
                                ("POST", "/api/v1/teachers"), ("GET", "/api/v1/reviews"), ("GET", "/api/v1/webhooks"),
                                ("POST", "/api/v1/webhooks"), ("GET", "/metrics"), ("GET", "/ready")]
        for (method, path) in lessonRoutes + collectionRoutes {
            let anonymous = try await server.request(method, path)
            #expect(anonymous.status == 401 && anonymous.message.contains("token"), "\(method) \(path): \(anonymous.status)")
            let forged = try await server.request(method, path, token: "edc_" + String(repeating: "0", count: 64))
            #expect(forged.status == 401, "\(method) \(path) with an unknown token: \(forged.status)")
        }
        // Another school's lesson does not exist for them, whatever they try.
        for (method, path) in lessonRoutes {
            let reply = try await server.request(method, path, token: managerB)
            #expect(reply.status == 404, "\(method) \(path) from another school: \(reply.status) \(reply.text)")
        }
        #expect(try await server.request("GET", "/api/v1/lessons", token: managerB).json()["total"] as? Int == 0)
        #expect(try await server.request("GET", "/api/v1/lessons", token: viewerA).json()["total"] as? Int == 1)
        // Roles: viewers read, managers change.
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)", token: viewerA).status == 200)
        for (method, path) in [("DELETE", "/api/v1/lessons/\(lesson)"), ("POST", "/api/v1/lessons/\(lesson)/analyses"),
                               ("POST", "/api/v1/jobs/\(job)/cancel"), ("POST", "/api/v1/lessons")] {
            let reply = try await server.request(method, path, token: viewerA, body: method == "GET" ? nil : Data("x".utf8))
            #expect(reply.status == 403 && reply.message.contains("viewer"), "\(method) \(path) as viewer: \(reply.status)")
        }
        // The metrics cover every school: no school's token opens them, the installation's metrics token does.
        for token in [managerB, adminA] {
            let refused = try await server.request("GET", "/metrics", token: token)
            #expect(refused.status == 401 && refused.message.contains("metrics.token"), "\(refused.status) \(refused.text)")
        }
        let metricsToken = try String(contentsOf: server.data.appendingPathComponent("metrics.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let metrics = try await server.request("GET", "/metrics", token: metricsToken)
        #expect(metrics.status == 200 && metrics.text.contains("edcontrol_jobs{state=\"queued\"} 1"), "\(metrics.text.prefix(500))")
        #expect(metrics.text.contains("http_server_request_duration"), "request latency histograms")
        #expect(try await server.request("GET", "/health").status == 200)
        #expect(try await server.request("GET", "/ready", token: viewerA).status == 200)

        // The queue: one active job per lesson; cancelling; analysing again.
        let again = try await server.request("POST", "/api/v1/lessons/\(lesson)/analyses", token: adminA)
        #expect(again.status == 409 && again.message.contains("already queued"), "\(again.text)")
        let cancelled = try await server.request("POST", "/api/v1/jobs/\(job)/cancel", token: adminA)
        #expect(try cancelled.status == 200 && cancelled.json()["state"] as? String == "cancelled")
        #expect(try await server.request("POST", "/api/v1/jobs/\(job)/cancel", token: adminA).status == 409)
        let reanalysis = try await server.request("POST", "/api/v1/lessons/\(lesson)/analyses", token: adminA)
        #expect(try reanalysis.status == 202 && reanalysis.json()["state"] as? String == "queued")
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: adminA).status == 404, "no results yet")
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    @Test func badUploadsAreRefusedWithAReasonAndNothingIsStored() async throws {
        let server = try RunningServer(arguments: ["--workers", "0", "--max-upload-mb", "5"], validated: true)
        let token = try server.token(school: "School A", role: "manager")
        let dir = try Fixtures.temporaryDirectory()
        func file(_ name: String, _ make: (URL) throws -> Void) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try make(url)
            return url
        }
        let empty = try file("empty.mp4") { try Data().write(to: $0) }
        let pdf = try file("lesson.mp4") { try Data("%PDF-1.7\n%âãÏÓ\n1 0 obj\n".utf8).write(to: $0) }
        // moov at the end, as recorders write it, and the end cut off.
        let whole = try file("whole.mp4") { try Fixtures.ffmpeg(["-i", crying.path, "-t", "8", "-c", "copy", $0.path]) }
        let truncated = try file("truncated.mp4") { url in
            let data = try Data(contentsOf: whole)
            try data.prefix(data.count / 2).write(to: url)
        }
        let blink = try file("blink.mp4") { try Fixtures.ffmpeg(["-i", crying.path, "-t", "0.5", "-c", "copy", $0.path]) }
        let huge = try file("huge.mp4") { url in
            try Data().write(to: url)
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: 3_000_000_000)  // 3 GB, sparse
            try handle.close()
        }
        let picture = try file("photo.mp4") { try FileManager.default.copyItem(at: Fixtures.photos.appendingPathComponent("biden.jpg"), to: $0) }
        let cases: [(URL, String, Int, String)] = [
            (empty, "", 400, "empty"), (pdf, "", 415, "not an audio or video recording"),
            (truncated, "", 415, "truncated.mp4"), (blink, "", 422, "at least 1 s"), (huge, "", 413, "limit"),
            (picture, "", 415, "is a picture (JPEG), not a recording"),
            // Details that cannot be stored are refused (before the body is received).
            (whole, "&recordedAt=yesterday", 400, "recordedAt must be a date"),
            (whole, "&title=" + String(repeating: "t", count: 301), 400, "the title has 301 characters and the limit is 300"),
            (whole, "&teacherId=nobody", 422, "there is no teacher nobody"),
        ]
        for (upload, query, status, words) in cases {
            let reply = try await server.request("POST", "/api/v1/lessons?filename=\(upload.lastPathComponent)\(query)", token: token, file: upload)
            #expect(reply.status == status && reply.message.contains(words), "\(upload.lastPathComponent)\(query): \(reply.status) \(reply.text)")
            #expect(!reply.message.contains(server.data.path), "no server paths in messages: \(reply.message)")
        }
        #expect(try await server.request("GET", "/api/v1/lessons", token: token).json()["total"] as? Int == 0)
        for folder in ["uploads", "lessons"] {
            let left = try FileManager.default.contentsOfDirectory(atPath: server.data.appendingPathComponent(folder).path)
            #expect(left.isEmpty, "\(folder) holds \(left)")
        }
        // The server is still fine: a good file goes in.
        _ = try await upload(server, whole, token: token)
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    @Test func uploadedLessonIsAnalysedItsResultsServedAndItCanBeErased() async throws {
        let server = try RunningServer(validated: true)
        let token = try server.token(school: "School A", role: "manager")
        let teacher = try await server.request("POST", "/api/v1/teachers", token: token, body: Data(#"{"name": "Anna Petrova"}"#.utf8))
        #expect(teacher.status == 201, "\(teacher.text)")
        let teacherID = try #require(try teacher.json()["id"] as? String)
        let (lesson, job) = try await upload(server, crying, token: token, query: "&title=Crying&teacherId=\(teacherID)")

        let finished = try await server.waitForJob(job, token: token)
        #expect(finished["state"] as? String == "succeeded", "\(finished)\n\(server.serverLog.suffix(2000))")
        #expect(finished["progress"] as? Double == 1 && finished["attempts"] as? Int == 1)
        let stored = try await server.request("GET", "/api/v1/lessons/\(lesson)", token: token).json()
        let summary = try #require(stored["lesson"] as? [String: Any])
        #expect(summary["flag"] as? String != "ok" && (summary["incidentCount"] as? Int ?? 0) >= 1, "the crying is an incident: \(summary)")
        #expect(summary["teacherID"] as? String == teacherID && summary["title"] as? String == "Crying")

        let report = try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: token)
        #expect(report.status == 200 && report.headers["content-type"]?.hasPrefix("application/json") == true)
        let decoded = try JSONDecoder().decode(LessonReport.self, from: report.body)
        #expect(decoded.video.analysed && decoded.incidents.contains { $0.modality == .face })
        let csv = try await server.request("GET", "/api/v1/lessons/\(lesson)/incidents.csv", token: token)
        #expect(csv.status == 200 && csv.text.hasPrefix(IncidentsCSV.header.joined(separator: ",")) && csv.text.contains(",face,"), "\(csv.text)")
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)/timeline.vtt", token: token).text.hasPrefix("WEBVTT"))
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)/diarization.rttm", token: token).status == 200)
        // Each face track has its picture, a JPEG cut from the recording; nothing else is reachable that way.
        for track in decoded.video.tracks {
            let picture = try await server.request("GET", "/api/v1/lessons/\(lesson)/faces/\(track.id).jpg", token: token)
            #expect(picture.status == 200 && picture.headers["content-type"] == "image/jpeg" && picture.body.starts(with: [0xFF, 0xD8, 0xFF]),
                    "\(track.id): \(picture.status)")
        }
        #expect(!decoded.video.tracks.isEmpty)
        for name in ["report.json", "..%2Freport.json", "F1.png", "F99.jpg"] {
            #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)/faces/\(name)", token: token).status == 404, "\(name)")
        }

        let byTeacher = try await server.request("GET", "/api/v1/lessons?teacherId=\(teacherID)&status=succeeded", token: token).json()
        #expect(byTeacher["total"] as? Int == 1)
        #expect(try await server.request("GET", "/api/v1/lessons?status=queued", token: token).json()["total"] as? Int == 0)
        #expect(try await server.request("GET", "/api/v1/lessons?limit=0", token: token).status == 400)
        #expect(try await server.request("GET", "/api/v1/teachers/\(teacherID)/lessons", token: token).json()["total"] as? Int == 1)
        let trend = try await server.request("GET", "/api/v1/teachers/\(teacherID)/trend", token: token).json()
        let point = try #require((trend["points"] as? [[String: Any]])?.first, "\(trend)")
        #expect(trend["lessonCount"] as? Int == 1 && point["lessonID"] as? String == lesson)
        // The trend counts the teacher's own incidents, not the lesson's others'.
        let teachers = decoded.incidents.filter { $0.role == .teacher }.count
        #expect(point["incidentCount"] as? Int == teachers && decoded.incidents.count >= 1, "\(point)")
        #expect(abs((point["incidentsPerHour"] as? Double ?? -1) - Double(teachers) / (decoded.talkMetrics.durationSeconds / 3600)) < 1, "\(point)")

        // Reviewers' verdicts: stored with who and when, the latest one counts, and confirmed
        // incidents come out as labelled episodes.
        let verdict = { (index: Int, verdict: String) in
            try await server.request("POST", "/api/v1/lessons/\(lesson)/incidents/\(index)/review", token: token,
                                     body: Data(#"{"verdict": "\#(verdict)", "note": "checked the video"}"#.utf8))
        }
        let confirmed = try await verdict(0, "confirmed")
        #expect(try confirmed.status == 201 && confirmed.json()["reviewer"] as? String == "command line", "\(confirmed.text)")
        #expect(try await verdict(99, "confirmed").status == 404)
        #expect(try await verdict(0, "maybe").status == 400)
        let viewer = try server.token(school: "School A", role: "viewer")
        #expect(try await server.request("POST", "/api/v1/lessons/\(lesson)/incidents/0/review", token: viewer,
                                         body: Data(#"{"verdict": "confirmed"}"#.utf8)).status == 403)
        let episodes = try await server.request("GET", "/api/v1/lessons/\(lesson)/reviews/episodes.json", token: viewer)
        let labelled = try JSONDecoder().decode([SpeakerTurn].self, from: episodes.body)
        #expect(labelled.count == 1 && labelled[0].start == decoded.incidents[0].start, "\(episodes.text)")
        #expect(try await verdict(0, "rejected").status == 201)
        let reviews = try await server.request("GET", "/api/v1/reviews", token: viewer).json()
        #expect(reviews["confirmed"] as? Int == 0 && reviews["rejected"] as? Int == 1 && reviews["precision"] as? Double == 0, "\(reviews)")

        // The right to erasure: the recording and everything derived from it go.
        #expect(try await server.request("DELETE", "/api/v1/lessons/\(lesson)", token: token).status == 204)
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)", token: token).status == 404)
        #expect(try await server.request("GET", "/api/v1/jobs/\(job)", token: token).status == 404)
        #expect(!FileManager.default.fileExists(atPath: server.data.appendingPathComponent("lessons/\(lesson)").path))
        #expect((try await server.request("GET", "/api/v1/reviews", token: viewer).json()["items"] as? [Any])?.count == 0,
                "the lesson's reviews go with it")
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    /// Transcripts: a lesson of real English speech is transcribed in the language its upload
    /// gives, its lines are searchable within the school only, the school's setting switches
    /// transcription off for later uploads, and erasing the lesson erases its lines.
    @Test func transcriptsFollowTheSettingsAndAreSearchableWithinTheSchool() async throws {
        let server = try RunningServer(validated: true)
        let admin = try server.token(school: "School A", role: "admin")
        let manager = try server.token(school: "School A", role: "manager")
        let otherSchool = try server.token(school: "School B", role: "admin")
        let (recording, parts) = try Fixtures.realConversation()
        #expect(try await server.request("GET", "/api/v1/settings", token: manager).json()["transcription"] as? String == "auto")

        #expect(try await server.request("POST", "/api/v1/lessons?filename=a.wav&transcription=klingon", token: manager, file: recording).status == 400)
        let (lesson, job) = try await upload(server, recording, token: manager, query: "&title=Reading&transcription=en")
        #expect(try await server.waitForJob(job, token: manager)["state"] as? String == "succeeded", "\(server.serverLog.suffix(2000))")
        let report = try JSONDecoder().decode(LessonReport.self, from: try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: manager).body)
        let transcript = try #require(report.transcript)
        #expect(transcript.analysed && transcript.language == "en" && transcript.languageProbability == nil, "given, not detected: \(transcript)")
        let vtt = try await server.request("GET", "/api/v1/lessons/\(lesson)/transcript.vtt", token: manager)
        #expect(vtt.status == 200 && vtt.headers["content-type"]?.hasPrefix("text/vtt") == true && vtt.text.contains("<v S"), "\(vtt.text)")
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)/transcript.srt", token: manager).status == 200)

        // Words, as prefixes, case folded; the hit says where and who.
        let search = { (query: String, token: String) in
            try await server.request("GET", "/api/v1/transcripts/search?q=\(query)", token: token).json()["hits"] as? [[String: Any]] ?? []
        }
        let hits = try await search("DASHW%20prudent", manager)
        #expect(hits.count == 1, "\(hits)")
        let hit = try #require(hits.first)
        #expect(hit["lessonID"] as? String == lesson && hit["lessonTitle"] as? String == "Reading" && hit["speaker"] != nil)
        #expect(parts[0].span.contains(hit["start"] as? Double ?? -1), "'dashwood' is said in the first part \(parts[0].span): \(hit)")
        #expect(try await search("pound%20key", manager).first.map { parts[1].span.contains($0["start"] as? Double ?? -1) } == true)
        #expect(try await search("dashwood%20yesterday", manager).isEmpty, "every word must occur")
        #expect(try await search("dashwood", otherSchool).isEmpty, "another school's lessons are not searched")
        #expect(try await server.request("GET", "/api/v1/transcripts/search?q=%20", token: manager).status == 400)
        #expect(try await server.request("GET", "/api/v1/transcripts/search?q=%22%29%20OR%20*", token: manager).status == 200, "FTS5 syntax is taken as words")
        #expect(try await server.request("GET", "/api/v1/transcripts/search?q=dashwood&lessonId=\(lesson)", token: otherSchool).status == 404)
        let within = try await server.request("GET", "/api/v1/transcripts/search?q=the&lessonId=\(lesson)", token: manager).json()["hits"] as? [[String: Any]] ?? []
        #expect(within.count >= 2 && within.map { $0["start"] as? Double ?? 0 } == within.map { $0["start"] as? Double ?? 0 }.sorted(), "in the order said: \(within)")

        // Only an admin changes the school's setting; a bad value is refused with the choices.
        #expect(try await server.request("PUT", "/api/v1/settings", token: manager, body: Data(#"{"transcription": "off"}"#.utf8)).status == 403)
        let bad = try await server.request("PUT", "/api/v1/settings", token: admin, body: Data(#"{"transcription": "english"}"#.utf8))
        #expect(bad.status == 400 && bad.text.contains("auto"), "\(bad.text)")
        #expect(try await server.request("PUT", "/api/v1/settings", token: admin, body: Data(#"{"transcription": "off"}"#.utf8)).status == 200)
        let (quiet, quietJob) = try await upload(server, recording, token: manager, query: "&title=Untranscribed")
        #expect(try await server.waitForJob(quietJob, token: manager)["state"] as? String == "succeeded")
        let untranscribed = try JSONDecoder().decode(LessonReport.self, from: try await server.request("GET", "/api/v1/lessons/\(quiet)/report.json", token: manager).body)
        #expect(untranscribed.transcript == .notAnalysed("transcription is switched off for this school"))
        let missing = try await server.request("GET", "/api/v1/lessons/\(quiet)/transcript.txt", token: manager)
        #expect(missing.status == 404 && missing.text.contains("no transcript"), "\(missing.text)")
        #expect(try await search("dashwood", manager).count == 1, "the untranscribed lesson adds no lines")

        // Erasing the lesson erases its lines.
        #expect(try await server.request("DELETE", "/api/v1/lessons/\(lesson)", token: manager).status == 204)
        #expect(try await search("dashwood", manager).isEmpty)
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    /// Enrolling a voice from a lesson: the enrolled person is the teacher from then on, even
    /// when someone else talks more.
    @Test func teacherEnrolledFromALessonIsFoundByVoice() async throws {
        let server = try RunningServer(validated: true)
        let token = try server.token(school: "School A", role: "manager")
        let teacher = try await server.request("POST", "/api/v1/teachers", token: token, body: Data(#"{"name": "Ivan"}"#.utf8))
        let teacherID = try #require(try teacher.json()["id"] as? String)
        let recording = try Fixtures.lesson(seed: 31, speakers: 2, duration: 45).media
        let (lesson, job) = try await upload(server, recording, token: token, query: "&teacherId=\(teacherID)")
        #expect(try await server.waitForJob(job, token: token)["state"] as? String == "succeeded")
        let first = try JSONDecoder().decode(LessonReport.self, from: try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: token).body)
        #expect(first.lineage.configurationVersion?.hasPrefix("built-in-") == true, "a fresh installation's champion is the built-in configuration")
        let quieter = try #require(first.speakers.min { $0.talkSeconds < $1.talkSeconds })
        #expect(quieter.role == .student && first.speakers.count == 2, "by talk time the quieter speaker is a student")

        let unknown = try await server.request("POST", "/api/v1/teachers/\(teacherID)/voice-profile", token: token,
                                               body: Data(#"{"lessonId": "\#(lesson)", "speaker": "S9"}"#.utf8))
        #expect(unknown.status == 400 && unknown.message.contains("S1"), "\(unknown.text)")
        // Enrolment is a job (a long lesson's voice takes a while), not work inside the request.
        let enrolment = try await server.request("POST", "/api/v1/teachers/\(teacherID)/voice-profile", token: token,
                                                 body: Data(#"{"lessonId": "\#(lesson)", "speaker": "\#(quieter.id)"}"#.utf8))
        let enrolmentJob = try enrolment.json()
        #expect(enrolment.status == 202 && enrolmentJob["kind"] as? String == "voice_enrolment" && enrolmentJob["state"] as? String == "queued",
                "\(enrolment.text)")
        let enrolmentID = try #require(enrolmentJob["id"] as? String)
        #expect(enrolment.headers["location"] == "/api/v1/jobs/\(enrolmentID)")
        #expect(try await server.waitForJob(enrolmentID, token: token)["state"] as? String == "succeeded")
        let shown = try await server.request("GET", "/api/v1/teachers/\(teacherID)", token: token)
        let status = try #require(try shown.json()["voiceProfile"] as? [String: Any], "\(shown.text)")
        #expect(status["enrolled"] as? Bool == true && (status["speechSeconds"] as? Double ?? 0) > 3, "\(status)")
        #expect(!shown.text.contains("embedding"), "the voiceprint itself is never shown")
        let lessonNow = try await server.request("GET", "/api/v1/lessons/\(lesson)", token: token).json()
        #expect((lessonNow["job"] as? [String: Any])?["kind"] as? String == "analysis", "the lesson shows its analysis, not the enrolment")

        let again = try await server.request("POST", "/api/v1/lessons/\(lesson)/analyses", token: token)
        let rerun = try #require(try again.json()["id"] as? String)
        #expect(try await server.waitForJob(rerun, token: token)["state"] as? String == "succeeded")
        let second = try JSONDecoder().decode(LessonReport.self, from: try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: token).body)
        let found = try #require(second.speakers.first { $0.role == .teacher }, "\(second.speakers)")
        #expect(found.roleSource == .voiceProfile && abs(found.talkSeconds - quieter.talkSeconds) < 3,
                "the enrolled voice is the teacher now: \(second.speakers)")
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    /// `edcontrol worker` in a process of its own takes the jobs of a server that has none,
    /// and analyses them with the registry's champion, which the report names.
    @Test func separateWorkerProcessAnalysesTheServersJobs() async throws {
        let server = try RunningServer(arguments: ["--workers", "0"], validated: true)
        let token = try server.token(school: "School A", role: "manager")
        let rules = server.data.appendingPathComponent("../strict-rules.json")
        try #"{"incidentRules": {"version": "strict-test", "negativeEmotionThreshold": 0.4}}"#.write(to: rules, atomically: true, encoding: .utf8)
        for step in [["register", "strict", "--config", rules.path], ["promote", "strict"]] {
            let done = try Fixtures.run(Fixtures.edcontrol, ["models"] + step + ["--reason", "test", "--data", server.data.path])
            #expect(done.status == 0, "\(done.stderr)")
        }
        let (lesson, job) = try await upload(server, crying, token: token)
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: Fixtures.edcontrol)
        worker.arguments = ["worker", "--data", server.data.path]
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer {
            worker.terminate()
            worker.waitUntilExit()
        }
        let finished = try await server.waitForJob(job, token: token)
        #expect(finished["state"] as? String == "succeeded" && (finished["workerID"] as? String) == nil, "\(finished)")
        #expect(try await server.request("GET", "/api/v1/jobs/\(job)", token: token).json()["attempts"] as? Int == 1)
        let report = try JSONDecoder().decode(LessonReport.self, from: try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: token).body)
        #expect(report.lineage.configurationVersion == "strict" && report.lineage.incidentRulesVersion == "strict-test"
                && report.lineage.incidentRules.negativeEmotionThreshold == 0.4, "\(report.lineage)")
        // The analysed lesson's features are kept for drift monitoring: this week's window has it.
        let admin = try server.token(school: "School A", role: "admin")
        let drift = try await server.request("GET", "/api/v1/monitoring/drift", token: admin).json()
        #expect((drift["current"] as? [String: Any])?["lessons"] as? Int == 1, "\(drift)")

        // Reviewers' verdicts on two lessons become a versioned labelled dataset, which an
        // experiment reads and the incident rules are calibrated on.
        #expect(!report.incidents.isEmpty, "the crying is an incident")
        let (second, secondJob) = try await upload(server, crying, token: token)
        #expect(try await server.waitForJob(secondJob, token: token)["state"] as? String == "succeeded")
        // The first lesson's first incident is confirmed with a correction: it began a second
        // later and ended a second earlier. Corrections that cannot be are refused.
        let corrected = TimeSpan(start: report.incidents[0].start + 1, end: report.incidents[0].end - 1)
        for (body, refusal) in [(#"{"verdict": "rejected", "start": 1, "end": 2}"#, "only a confirmed incident"),
                                (#"{"verdict": "confirmed", "start": 5, "end": 4}"#, "0 ≤ start < end"),
                                (#"{"verdict": "confirmed", "start": 1, "end": 99999}"#, "the lesson's length"),
                                (#"{"verdict": "confirmed", "person": "S99"}"#, "no person S99"),
                                (#"{"verdict": "confirmed", "modality": "smell"}"#, "voice, face or both")] {
            let refused = try await server.request("POST", "/api/v1/lessons/\(lesson)/incidents/0/review", token: token, body: Data(body.utf8))
            #expect(refused.status == 400 && refused.message.contains(refusal), "\(body): \(refused.text)")
        }
        var verdictsGiven = 0
        for reviewed in [lesson, second] {
            let incidents = try JSONDecoder().decode(LessonReport.self, from: try await server.request("GET", "/api/v1/lessons/\(reviewed)/report.json", token: token).body).incidents
            verdictsGiven += incidents.count
            for index in incidents.indices {
                let verdict = index == 0 ? "confirmed" : "rejected"
                let correction = reviewed == lesson && index == 0 ? #", "start": \#(corrected.start), "end": \#(corrected.end), "modality": "both""# : ""
                let saved = try await server.request("POST", "/api/v1/lessons/\(reviewed)/incidents/\(index)/review", token: token,
                                                     body: Data(#"{"verdict": "\#(verdict)"\#(correction)}"#.utf8))
                #expect(saved.status == 201, "\(saved.text)")
                if !correction.isEmpty {
                    #expect(try saved.json()["correctedStart"] as? Double == corrected.start && saved.json()["correctedModality"] as? String == "both", "\(saved.text)")
                }
            }
        }
        // The pilot figures count both lessons, flagged, with the verdicts just given.
        let month = PilotFigures.recentMonths(1)[0]
        let pilot = try await server.request("GET", "/api/v1/pilot?from=\(month)", token: token).json()
        let figures = try #require((pilot["months"] as? [[String: Any]])?.first, "\(pilot)")
        let judged = (figures["precisionByFlag"] as? [String: [String: Any]])?.values.compactMap { $0["judged"] as? Int }.reduce(0, +)
        #expect(figures["month"] as? String == month && figures["lessonsAnalysed"] as? Int == 2 && figures["lessonsFlagged"] as? Int == 2
                && figures["lessonsWithVerdict"] as? Int == 2 && (figures["medianMinutesToVerdict"] as? Double ?? -1) >= 0, "\(figures)")
        #expect(judged == verdictsGiven, "every verdict is counted: \(figures)")
        #expect((figures["minutesSaved"] as? Double ?? -1) >= 0 && (figures["minutesRecorded"] as? Double ?? 0) > 0)
        #expect(try await server.request("GET", "/api/v1/pilot?from=2026-13", token: token).status == 400)
        let pilotPage = try await server.request("GET", "/pilot", token: token, headers: ["Accept-Language": "ru"])
        #expect(pilotPage.status == 200 && pilotPage.text.contains("Итоги пилота") && pilotPage.text.contains(#"id="pilot""#))
        let dataset = server.data.appendingPathComponent("../reviews-v1")
        let exported = try Fixtures.run(Fixtures.edcontrol, ["dataset", "export", "--school", "School A", "--out", dataset.path, "--data", server.data.path])
        #expect(exported.status == 0 && exported.stdout.contains("2 fully reviewed lessons, 2 confirmed (1 corrected by the reviewer)"), "\(exported.stdout) \(exported.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dataset.appendingPathComponent("MANIFEST.json"))) as? [String: Any])
        let files = try #require(manifest["files"] as? [[String: Any]])
        #expect(Set(files.compactMap { $0["file"] as? String }) == Set([lesson, second].flatMap { ["\($0).mp4", "\($0).episodes.json", "\($0).verdicts.json"] }))
        for file in files {
            let name = try #require(file["file"] as? String)
            #expect(try SHA256Digest.ofFile(at: dataset.appendingPathComponent(name)) == file["sha256"] as? String, "\(name) is pinned")
        }
        let episodes = try JSONDecoder().decode([SpeakerTurn].self, from: Data(contentsOf: dataset.appendingPathComponent("\(lesson).episodes.json")))
        #expect(episodes.map(\.span) == [corrected], "the reviewer's times are the label")
        let again = try Fixtures.run(Fixtures.edcontrol, ["dataset", "export", "--school", "School A", "--out", dataset.path, "--data", server.data.path])
        #expect(again.status != 0 && again.stderr.contains("never overwritten"), "a version is not overwritten")
        let compared = try Fixtures.run(Fixtures.edcontrol, ["experiment", "compare", "--champion", "strict", "--challenger", rules.path, "--corpus", dataset.path,
                                                             "--metric", "incident-f1", "--json", "--quiet", "--data", server.data.path])
        #expect(compared.status == 0, "\(compared.stderr)")
        let experiment = try #require(try JSONSerialization.jsonObject(with: Data(compared.stdout.utf8)) as? [String: Any])
        let items = try #require(experiment["items"] as? [[String: Any]])
        #expect(Set(items.compactMap { $0["id"] as? String }) == [lesson, second] && items.allSatisfy { ($0["champion"] as? Double ?? 0) > 0 }
                && experiment["verdict"] as? String == "inconclusive", "\(experiment)")
        let fitted = server.data.appendingPathComponent("../calibrated.json")
        let calibrated = try Fixtures.run(Fixtures.edcontrol, ["calibrate", "incident-rules", "--dataset", dataset.path, "--folds", "2", "--out", fitted.path,
                                                               "--quiet", "--data", server.data.path])
        #expect(calibrated.status == 0 && calibrated.stdout.contains("2 reviewed lessons, 2 confirmed incidents")
                && calibrated.stdout.contains("cross-validated incident F1 (2 folds, pooled)"), "\(calibrated.stdout) \(calibrated.stderr)")
        let registered = try Fixtures.run(Fixtures.edcontrol, ["models", "register", "calibrated", "--config", fitted.path, "--reason", "fitted to reviews",
                                                               "--data", server.data.path])
        #expect(registered.status == 0, "the fitted rules are a configuration: \(registered.stderr)")
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    /// A challenger in the shadow analyses the lessons after the champion; its report is kept
    /// apart, never shown to the school nor sent by webhook, and the registry compares it
    /// with the champion and with the reviewers' verdicts. Starting without --shadow stops it.
    @Test func shadowRunAnalysesLessonsApartAndIsComparedWithTheChampionAndReviews() async throws {
        let data = try Fixtures.temporaryDirectory("shadow")
        let rules = data.appendingPathComponent("../lenient-rules.json")
        try #"{"incidentRules": {"version": "lenient-test", "minimumNegativeEmotionSeconds": 60}}"#.write(to: rules, atomically: true, encoding: .utf8)
        let registered = try Fixtures.run(Fixtures.edcontrol, ["models", "register", "lenient", "--config", rules.path, "--reason", "fewer face incidents", "--data", data.path])
        #expect(registered.status == 0, "\(registered.stderr)")
        for (shadow, refusal) in [("missing", "no such configuration"), ("lenient", "--shadow-share must be")] {
            let refused = try Fixtures.run(Fixtures.edcontrol, ["serve", "--port", "0", "--shadow", shadow, "--shadow-share", shadow == "lenient" ? "0" : "0.5", "--data", data.path])
            #expect(refused.status != 0 && refused.stderr.contains(refusal), "\(refused.stderr)")
        }
        let server = try RunningServer(data: data, arguments: ["--shadow", "lenient", "--shadow-share", "1", "--webhook-allow-network", "127.0.0.1/32"], validated: true)
        let admin = try server.token(school: "School A", role: "admin")
        let hook = try await server.request("POST", "/api/v1/webhooks", token: admin,
                                            body: Data(#"{"url": "http://127.0.0.1:9/hook", "secret": "a-long-shared-secret-for-tests"}"#.utf8))
        let hookID = try #require(try hook.json()["id"] as? String)
        let (lesson, job) = try await upload(server, crying, token: admin)
        #expect(try await server.waitForJob(job, token: admin)["state"] as? String == "succeeded")

        var shadow: [String: Any] = [:]
        for _ in 0..<600 {
            shadow = try await server.request("GET", "/api/v1/registry", token: admin).json()["shadow"] as? [String: Any] ?? [:]
            if (shadow["comparison"] as? [String: Any])?["lessons"] as? Int == 1 { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let comparison = try #require(shadow["comparison"] as? [String: Any], "\(shadow)\n\(server.serverLog.suffix(3000))")
        #expect((shadow["run"] as? [String: Any])?["name"] as? String == "lenient" && comparison["lessons"] as? Int == 1, "\(shadow)")
        let champion = try JSONDecoder().decode(LessonReport.self, from: try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: admin).body)
        let shadowFolder = data.appendingPathComponent("lessons/\(lesson)/shadow/lenient")
        let challenger = try #require(LessonReport.read(from: shadowFolder.appendingPathComponent("report.json")))
        #expect(champion.lineage.configurationVersion?.hasPrefix("built-in-") == true && challenger.lineage.configurationVersion == "lenient"
                && challenger.lineage.incidentRulesVersion == "lenient-test")
        #expect(!FileManager.default.fileExists(atPath: shadowFolder.appendingPathComponent("report.html").path), "only what the comparison reads")
        #expect(comparison["championIncidents"] as? Int == champion.incidents.count && comparison["challengerIncidents"] as? Int == challenger.incidents.count)
        #expect(comparison["sameFlag"] as? Int == (champion.summary.flag == challenger.summary.flag ? 1 : 0))
        #expect(challenger.incidents.count < champion.incidents.count, "the lenient rules flag less: \(challenger.incidents.count) vs \(champion.incidents.count)")

        // The school sees its own analysis only, and its webhook hears of that one alone.
        let stored = try await server.request("GET", "/api/v1/lessons/\(lesson)", token: admin).json()
        #expect((stored["job"] as? [String: Any])?["id"] as? String == job, "\(stored)")
        let deliveries = try await server.request("GET", "/api/v1/webhooks/\(hookID)/deliveries", token: admin).json()["items"] as? [[String: Any]] ?? []
        #expect(deliveries.map { $0["event"] as? String } == ["job.succeeded"] && !deliveries.contains { ($0["payload"] as? String ?? "").contains("lenient") },
                "\(deliveries)")

        // Reviews of the champion's incidents judge the challenger's where they pair.
        for index in champion.incidents.indices {
            #expect(try await server.request("POST", "/api/v1/lessons/\(lesson)/incidents/\(index)/review", token: admin,
                                             body: Data(#"{"verdict": "\#(index == 0 ? "confirmed" : "rejected")"}"#.utf8)).status == 201)
        }
        let reviewed = try #require(try await server.request("GET", "/api/v1/registry", token: admin).json()["shadow"] as? [String: Any])["comparison"] as? [String: Any]
        let championJudged = reviewed?["champion"] as? [String: Any]
        #expect(reviewed?["reviewedLessons"] as? Int == 1 && reviewed?["confirmedIncidents"] as? Int == 1
                && championJudged?["judged"] as? Int == champion.incidents.count && championJudged?["confirmed"] as? Int == 1, "\(reviewed ?? [:])")
        #expect((reviewed?["reviewers"] as? [[String: Any]])?.count == 1)
        // Another school's admin sees the installation's figures, but no reviewer's name.
        let otherAdmin = try server.token(school: "School B", role: "admin")
        let seenElsewhere = try #require(try await server.request("GET", "/api/v1/registry", token: otherAdmin).json()["shadow"] as? [String: Any])["comparison"] as? [String: Any]
        #expect(seenElsewhere?["reviewedLessons"] as? Int == 1 && (seenElsewhere?["reviewers"] as? [[String: Any]])?.isEmpty == true, "\(seenElsewhere ?? [:])")
        let page = try await server.request("GET", "/models", token: admin)
        #expect(page.status == 200 && page.text.contains(#"id="shadow-agreement""#) && page.text.contains(#"<strong translate="no">lenient</strong>"#))

        // Started without --shadow, the run stops: the next lesson is analysed by the champion alone.
        try server.restart(arguments: [])
        let stopped = try await server.request("GET", "/api/v1/registry", token: admin).json()["shadow"] as? [String: Any]
        #expect((stopped?["run"] as? [String: Any])?["stoppedAt"] != nil, "\(stopped ?? [:])")
        let (_, secondJob) = try await upload(server, crying, token: admin)
        #expect(try await server.waitForJob(secondJob, token: admin)["state"] as? String == "succeeded")
        try await Task.sleep(for: .seconds(2))
        let after = try await server.request("GET", "/api/v1/registry", token: admin).json()["shadow"] as? [String: Any]
        #expect((after?["comparison"] as? [String: Any])?["lessons"] as? Int == 1)
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    /// Recordings go after the retention period; reports stay; the audit log says who did what.
    @Test func retentionDeletesRecordingsButKeepsReportsAndEverythingIsAudited() async throws {
        let server = try RunningServer(arguments: ["--retention-days", "0", "--retention-check-seconds", "1"], validated: true)
        let admin = try server.token(school: "School A", role: "admin")
        let (lesson, job) = try await upload(server, crying, token: admin)
        #expect(try await server.waitForJob(job, token: admin)["state"] as? String == "succeeded")
        var stored: [String: Any] = [:]
        for _ in 0..<100 {
            stored = try await server.request("GET", "/api/v1/lessons/\(lesson)", token: admin).json()["lesson"] as? [String: Any] ?? [:]
            if stored["mediaFile"] == nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(stored["mediaFile"] == nil, "the recording is forgotten: \(stored)")
        #expect(!FileManager.default.fileExists(atPath: server.data.appendingPathComponent("lessons/\(lesson)/recording.mp4").path))
        // The lesson's row names its published set of results, beside the recording.
        let results = server.data.appendingPathComponent("lessons/\(lesson)/\(try #require(stored["resultsSet"] as? String, "\(stored)"))")
        #expect(FileManager.default.fileExists(atPath: results.appendingPathComponent("report.json").path))
        #expect(!FileManager.default.fileExists(atPath: results.appendingPathComponent("faces").path), "the faces' pictures go with the recording")
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)/faces/F1.jpg", token: admin).status == 404)
        #expect(try await server.request("GET", "/api/v1/lessons/\(lesson)/report.json", token: admin).status == 200, "the report stays")
        let again = try await server.request("POST", "/api/v1/lessons/\(lesson)/analyses", token: admin)
        #expect(again.status == 409 && again.message.contains("deleted"), "\(again.text)")
        #expect(try await server.request("DELETE", "/api/v1/lessons/\(lesson)", token: admin).status == 204)

        let viewer = try server.token(school: "School A", role: "viewer")
        #expect(try await server.request("GET", "/api/v1/audit", token: viewer).status == 403)
        let log = try await server.request("GET", "/api/v1/audit", token: admin).json()["items"] as? [[String: Any]] ?? []
        let actions = log.map { "\($0["actor"] ?? "") \($0["action"] ?? "")" }
        for expected in ["command line token.create", "command line lesson.upload", "retention policy media.expired",
                         "command line lesson.read", "command line results.read", "command line lesson.delete"] {
            #expect(actions.contains(expected), "\(expected) in \(actions)")
        }
        let otherSchool = try server.token(school: "School B", role: "admin")
        let theirs = try await server.request("GET", "/api/v1/audit", token: otherSchool).json()["items"] as? [[String: Any]] ?? []
        #expect(theirs.count == 1 && theirs.first?["action"] as? String == "token.create", "school B sees only its own log: \(theirs)")
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }

    /// A worker killed mid-job (SIGKILL) leaves the job to be taken up again once its lease
    /// runs out; a server stopped gracefully (SIGTERM) gives its job back at once.
    @Test func jobsSurviveTheServerBeingKilledMidAnalysis() async throws {
        let dir = try Fixtures.temporaryDirectory()
        let long = dir.appendingPathComponent("long-lesson.wav")
        try Fixtures.ffmpeg(["-stream_loop", "-1", "-i", Fixtures.librivox[0], "-t", "1200", "-ac", "1", "-ar", "16000", long.path])
        let server = try RunningServer(arguments: ["--lease-seconds", "3"], validated: true)
        let token = try server.token(school: "School A", role: "manager")
        for (round, signal) in [SIGKILL, SIGKILL, SIGKILL, SIGTERM].enumerated() {
            let watch = try server.armSignal(signal, whenAJobReaches: 0.1)
            // Twenty minutes of reading would take minutes more to transcribe; what is tested is the job's life.
            let (_, job) = try await upload(server, long, token: token, query: "&transcription=off")
            let killedAt = await watch.wait()
            #expect(killedAt != nil && killedAt! < 0.9, "round \(round): stopped mid-analysis, at \(killedAt ?? -1)")
            try server.restart()
            let finished = try await server.waitForJob(job, token: token)
            #expect(finished["state"] as? String == "succeeded", "round \(round): \(finished)\n\(server.serverLog.suffix(1500))")
            // A killed attempt counts; a job given back at shutdown does not.
            #expect(finished["attempts"] as? Int == (signal == SIGKILL ? 2 : 1), "round \(round): \(finished)")
        }
        try server.expectEveryResponseAsDocumented(atLeast: 1)
    }
}
