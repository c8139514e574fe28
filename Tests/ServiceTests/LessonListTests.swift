@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
import EdControlReports
@testable import EdControlService
@testable import EdControlWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

/// What a manager asks of the lesson list, through the API's router over a real store (on
/// both backends where the store answers): filters by flag, date and words, orders,
/// day-only dates, transcript search, and the CSV export.
@Suite("Lesson list")
struct LessonListTests {
    private struct School: Sendable {
        let site: RouterInstallation
        let ids: [String: String]
        var store: any EdControlStore { site.store }
        var server: EdControlServer { site.server }
        var token: String { site.token }

        /// Four lessons: title, teacher, recorded at, day only, flag, incidents.
        init(on backend: TestBackend = .embedded) async throws {
            site = try await RouterInstallation("lesson-list", role: .manager, on: backend)
            let (store, manager) = (site.store, site.caller)
            let anna = try await store.createTeacher(schoolID: manager.schoolID, name: "Анна Ёлкина")
            let lessons = site.server.lessons
            let day = 86400.0, start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18
            var ids: [String: String] = [:]
            for (title, teacher, offset, hasTime, flag, incidents) in [
                // Uploaded in this order, recorded in another.
                ("Алгебра, 7Б", anna.id as String?, 0.0, true, "alert", 3), ("Geometry 8A", nil, 6 * day, false, "ok", 0),
                ("=HYPERLINK(\"http://x\")", nil, 2 * day, true, "review", 1), ("Физика", anna.id as String?, 4 * day, true, "inconclusive", 0),
            ] {
                let stored = try await lessons.upload(file: URL(fileURLWithPath: Fixtures.librivox[0]), details: .init(title: title, originalFilename: "a.wav", teacherID: teacher,
                                                                           recordedAt: start + offset, recordedAtHasTime: hasTime), by: manager)
                let job = try #require(try await store.claimNext(workerID: "w", leaseSeconds: 30))
                #expect(job.lessonID == stored.lesson.id)
                #expect(try await store.apply(.succeed(.analysis(AnalysisSummary(
                    flag: flag, incidentCount: incidents, teacherTalkPercent: 60, speakerCount: 2, durationSeconds: 7, teacherNegativeShare: nil), resultsSet: ResultsSet.run(of: job))),
                                            jobID: job.id, workerID: "w"))
                ids[title] = stored.lesson.id
            }
            self.ids = ids
        }

        /// The titles a list request answers, in order.
        func titles(_ client: some TestClientProtocol, _ query: String) async throws -> [String] {
            let reply = try await client.execute(uri: "/api/v1/lessons?" + query, method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(reply.status == .ok, "\(query): \(String(buffer: reply.body))")
            let body = try JSONSerialization.jsonObject(with: Data(buffer: reply.body)) as? [String: Any]
            return (body?["items"] as? [[String: Any]] ?? []).compactMap { ($0["lesson"] as? [String: Any])?["title"] as? String }
        }
    }

    @Test(arguments: TestBackend.allCases) func filtersSearchAndOrders(_ backend: TestBackend) async throws {
        let school = try await School(on: backend)
        try await Application(router: try school.server.router()).test(.router) { client in
            #expect(try await school.titles(client, "") == ["Geometry 8A", "Физика", "=HYPERLINK(\"http://x\")", "Алгебра, 7Б"], "newest lesson date first")
            #expect(try await school.titles(client, "sort=oldest").first == "Алгебра, 7Б")
            #expect(try await school.titles(client, "sort=incidents").prefix(2) == ["Алгебра, 7Б", "=HYPERLINK(\"http://x\")"])
            #expect(try await school.titles(client, "sort=severity") == ["Алгебра, 7Б", "=HYPERLINK(\"http://x\")", "Физика", "Geometry 8A"],
                    "alert, review, inconclusive, ok")
            #expect(try await school.titles(client, "flag=alert") == ["Алгебра, 7Б"])
            #expect(try await school.titles(client, "flag=inconclusive") == ["Физика"])
            // Words of the title or of the teacher's name, in any case, ё as е.
            #expect(try await school.titles(client, "q=%D0%90%D0%9B%D0%93%D0%95%D0%91") == ["Алгебра, 7Б"], "АЛГЕБ")
            #expect(try await school.titles(client, "q=%D0%B5%D0%BB%D0%BA%D0%B8%D0%BD&sort=title") == ["Алгебра, 7Б", "Физика"], "елкин finds Ёлкина")
            #expect(try await school.titles(client, "q=100%25").isEmpty, "% is a character, not a wildcard")
            // A day given as "to" counts whole: the lesson of 2026-11-24 is in.
            #expect(try await school.titles(client, "from=2026-11-21&to=2026-11-24") == ["Geometry 8A", "Физика"])
            let refused = try await client.execute(uri: "/api/v1/lessons?flag=purple", method: .get, headers: [.authorization: "Bearer \(school.token)"])
            #expect(refused.status == .badRequest && String(buffer: refused.body).contains("flag must be one of ok, review, alert, inconclusive"))
        }
    }

    /// A lesson summarised by an earlier release (its list figures worked out the old way)
    /// is summarised again from its stored report when the service starts, once.
    @Test func listFiguresFromAnEarlierReleaseAreWorkedOutAgainFromTheReport() async throws {
        let school = try await School()
        let lessonID = try #require(school.ids["Физика"])
        // A real report: a person crying, then laughing, taken here as the lesson's teacher.
        var report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4"))
        report.video.tracks = report.video.tracks.map { var track = $0; track.role = .teacher; return track }
        let lesson = try #require(try await school.store.lesson(id: lessonID, schoolID: school.site.caller.schoolID)).lesson
        try await school.server.lessons.files.put(try FileName.results(of: lesson).appending(ReportWriter.reportFile), data: try JSONEncoder().encode(report))
        // A row as an earlier release left it: SQLite's own statement.
        try await #require(school.store as? SQLiteStore).database.write { db in
            try db.execute(sql: "UPDATE lesson SET summary_version = 1, teacher_negative_share = 0.81 WHERE id = ?", arguments: [lessonID])
        }
        #expect(try await school.store.lessonsWithOutdatedSummaries().map(\.id) == [lessonID], "only the lesson marked as older")
        #expect(try await school.server.lessons.refreshOutdatedSummaries() == 1)
        let refreshed = try #require(try await school.store.lesson(id: lessonID, schoolID: school.site.caller.schoolID)).lesson
        let expected = try #require(report.expressionChanges(of: .teacher).moreNegativeShare)
        #expect(refreshed.teacherNegativeShare == expected && expected < 0.81, "\(String(describing: refreshed.teacherNegativeShare)) vs \(expected)")
        #expect(refreshed.incidentCount == report.incidents.count && refreshed.peakIntensity == report.strongestIncident?.incident.peakIntensity)
        #expect(try await school.server.lessons.refreshOutdatedSummaries() == 0, "done once")
    }

    @Test(arguments: TestBackend.allCases) func dayOnlyDatesShowNoTimeAndTheExportIsSafeForSpreadsheets(_ backend: TestBackend) async throws {
        let school = try await School(on: backend)
        try await Application(router: try school.server.router()).test(.router) { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(school.token)"]
            let csv = try await client.execute(uri: "/api/v1/lessons.csv?sort=oldest", method: .get, headers: bearer)
            let text = String(buffer: csv.body)
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8" && csv.headers[.contentDisposition]?.contains("lessons.csv") == true)
            let lines = text.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 5 && lines[0].hasPrefix("lesson_id,title,teacher,recorded_at"))
            #expect(lines[1].contains(",\"Алгебра, 7Б\",Анна Ёлкина,2026-11-18T") && lines[1].contains(",alert,3,60.0,"), "\(lines[1])")
            #expect(lines[4].contains(",Geometry 8A,,2026-11-24,"), "a day-only date stays a day: \(lines[4])")
            #expect(lines[2].contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "a formula stays text: \(lines[2])")
            #expect(try await client.execute(uri: "/api/v1/lessons.csv?flag=ok", method: .get, headers: bearer).body.readableBytes < text.utf8.count)
            let page = String(buffer: try await client.execute(uri: "/lessons/\(school.ids["Geometry 8A"]!)", method: .get, headers: bearer).body)
            #expect(page.contains("24 Nov 2026 · ") && !page.contains("24 Nov 2026 at"), "the day without a made-up time")
            let list = String(buffer: try await client.execute(uri: "/lessons?flag=review", method: .get, headers: bearer).body)
            #expect(list.contains("href=\"/api/v1/lessons.csv?flag=review\""), "the export link keeps the filters")
            #expect(list.contains("HYPERLINK") && !list.contains("Geometry 8A"))
        }
    }

    /// The search page: hits grouped by lesson (the newest first) and in the order said, the
    /// teacher named, the words found marked, each link opening its lesson at the second, and
    /// the page in Russian for a Russian reader.
    @Test(arguments: TestBackend.allCases) func searchOpensTheLessonAtTheSecondWithTheTeachersName(_ backend: TestBackend) async throws {
        let school = try await School(on: backend)
        let (algebra, physics) = (school.ids["Алгебра, 7Б"]!, school.ids["Физика"]!)
        for (id, lines) in [(algebra, [(40.0, "teacher", "Откройте учебник на странице сорок"), (12.0, "student", "Я не открыл учебники")]),
                            (physics, [(75.0, "teacher", "Учебник сегодня не нужен")])] {
            let segments = lines.map { TranscriptSegment(start: $0.0, end: $0.0 + 3, speaker: $0.1 == "teacher" ? "S1" : "S2", role: SpeakerRole(rawValue: $0.1), text: $0.2) }
            try await school.store.indexTranscript(Transcript(language: "ru", languageProbability: 0.9, model: "whisper-base", segments: segments),
                                                   lessonID: id, schoolID: school.site.caller.schoolID)
        }
        try await Application(router: try school.server.router()).test(.router) { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(school.token)"]
            // "УЧЕБНИК" (as a prefix, any case) finds "учебник", "учебники".
            let query = "q=%D0%A3%D0%A7%D0%95%D0%91%D0%9D%D0%98%D0%9A"
            let page = String(buffer: try await client.execute(uri: "/search?" + query, method: .get, headers: bearer).body)
            let links = page.matches(of: /href="([^"]+)" class="search-hit"/).map { String($0.output.1) }
            #expect(links == ["/lessons/\(physics)?t=75#transcript", "/lessons/\(algebra)?t=12#transcript", "/lessons/\(algebra)?t=40#transcript"],
                    "the newer lesson first, each in the order said: \(links)")
            #expect(page.contains("Анна Ёлкина") && !page.contains("S1 ·"), "the teacher by name")
            #expect(page.contains("<mark>Учебник</mark> сегодня") && page.contains("<mark>учебники</mark>"), "the words found are marked")
            for link in links {
                let opened = try await client.execute(uri: link.replacingOccurrences(of: "#transcript", with: ""), method: .get, headers: bearer)
                #expect(opened.status == .ok, "\(link): \(opened.status)")
            }
            var russian = bearer
            russian[.acceptLanguage] = "ru"
            let inRussian = String(buffer: try await client.execute(uri: "/search?" + query, method: .get, headers: russian).body)
            #expect(inRussian.contains("ученик") && !inRussian.contains("a student") && !inRussian.contains("lines found"))
        }
    }

    /// The service's refusals say what is wrong in the caller's language: Russian for a reader
    /// who asks for it (the dashboard's choice or Accept-Language), English otherwise.
    @Test func refusalsAreInTheCallersLanguage() async throws {
        let school = try await School()
        try await Application(router: try school.server.router()).test(.router) { client in
            func upload(_ language: String?) async throws -> (HTTPResponse.Status, String) {
                var headers: HTTPFields = [.authorization: "Bearer \(school.token)"]
                if let language { headers[.acceptLanguage] = language }
                let reply = try await client.execute(uri: "/api/v1/lessons?filename=homework.mp4", method: .post, headers: headers,
                                                     body: ByteBuffer(string: "this is a text file, not a video"))
                let body = try JSONSerialization.jsonObject(with: Data(buffer: reply.body)) as? [String: Any]
                return (reply.status, (body?["error"] as? [String: Any])?["message"] as? String ?? "")
            }
            let (status, english) = try await upload(nil)
            #expect(status == .unsupportedMediaType && english.hasPrefix("homework.mp4: this is not an audio or video recording that can be read (")
                    && english.hasSuffix("Supply it as \(AcceptedFormats.description)."), "\(english)")
            let (russianStatus, russian) = try await upload("ru-RU,ru;q=0.9")
            #expect(russianStatus == .unsupportedMediaType && russian.hasPrefix("homework.mp4: это не аудио- или видеозапись") && russian.hasSuffix("FLAC или AMR."),
                    "\(russian)")
            var headers: HTTPFields = [.authorization: "Bearer \(school.token)", .acceptLanguage: "ru"]
            let search = try await client.execute(uri: "/search?q=%21%21", method: .get, headers: headers)
            #expect(search.status == .badRequest && String(buffer: search.body).contains("для поиска нужно хотя бы одно слово"))
            headers[.acceptLanguage] = "en"
            let missing = try await client.execute(uri: "/api/v1/lessons/nope/report.json", method: .get, headers: headers)
            #expect(missing.status == .notFound && String(buffer: missing.body).contains("there is no lesson nope in your school"))
        }
    }

    /// A lesson that is not there is a page in the reader's language, with the navigation.
    @Test func notFoundIsAPageInTheReadersLanguageWithNavigation() async throws {
        let school = try await School()
        _ = try await UserAccounts.create(in: school.store, school: "School A", email: "olga@school.test", name: "Olga", role: .manager, password: "a good manager password")
        try await Application(router: try school.server.router()).test(.router) { client in
            let signIn = try await client.execute(uri: "/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "email=olga%40school.test&password=a+good+manager+password"))
            let cookie = String(try #require(signIn.headers[.setCookie]).split(separator: ";")[0])
            for (language, words, nav) in [("en", "There is no such page or lesson", ">Lessons</a>"), ("ru", "В вашей школе нет такой страницы", ">Уроки</a>")] {
                let page = try await client.execute(uri: "/lessons/00000000-0000-0000-0000-000000000000", method: .get,
                                                    headers: [.cookie: cookie, .acceptLanguage: language])
                let html = String(buffer: page.body)
                #expect(page.status == .notFound && html.contains(words) && !html.contains("there is no lesson"), "\(language): \(html.prefix(200))")
                #expect(html.contains("<nav") && html.contains(nav), "\(language): the navigation of a signed-in reader")
            }
        }
    }
}
