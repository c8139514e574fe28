@testable import EdControlStorage
@testable import EdControlTestSupport
import Foundation
import Testing

/// EdControl launched from an LMS: a real LTI 1.3 platform (PyPI lti1p3platform, behind
/// scripts/dev/lti_platform.py) on loopback, with its own keys, and a real server. The
/// browser tests go through the whole flow in Chromium; the refusals' tests speak HTTP as a
/// browser would, each refusal answered with a page and an audit entry.
@Suite("LTI launch from a real platform", .serialized)
struct LTIPlatformTests {
    static let screenshots = Fixtures.repository.appendingPathComponent(".build/screenshots")

    /// A server with one school whose LMS is the test platform, and a lesson in that school
    /// and in another.
    struct Setup {
        let server: RunningServer
        let platform: Process
        let platformURL: String
        let adminToken: String

        /// - Parameter registered: the platform registered on the command line (else: not yet).
        /// - Parameter validated: the server reached through the proxy that checks answers against the API's document.
        init(registered: Bool = true, publicURL: String? = nil, validated: Bool = false) async throws {
            // Key sets are fetched from the platform on loopback, which only an operator may allow.
            server = try RunningServer(arguments: ["--workers", "0", "--webhook-allow-network", "127.0.0.0/8"]
                + (publicURL.map { ["--public-url", $0] } ?? []), validated: validated)
            adminToken = try server.token(school: "Northside school", role: "admin")
            let otherToken = try server.token(school: "Southside school", role: "admin")
            let (process, url) = try Fixtures.startHelper("scripts/dev/lti_platform.py", [String(try Self.freePort()), server.url.absoluteString])
            platform = process
            platformURL = url
            if registered {
                let added = try Fixtures.run(Fixtures.edcontrol, [
                    "lti", "add-platform", "--data", server.data.path, "--school", "Northside school", "--issuer", url,
                    "--client-id", "edcontrol-client", "--deployment", "deployment-1", "--authorization-url", url + "/authorize",
                    "--token-url", url + "/token", "--keys-url", url + "/.well-known/jwks.json"])
                #expect(added.status == 0, "\(added.stderr)")
            }
            let video = Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4")
            for (token, title) in [(adminToken, "Northside algebra week 3"), (otherToken, "Southside chemistry")] {
                let upload = try await server.request("POST", "/api/v1/lessons?filename=lesson.mp4&title=\(title.replacingOccurrences(of: " ", with: "%20"))",
                                                      token: token, file: video)
                #expect(upload.status == 201, "\(upload.text)")
            }
        }

        func stop() {
            platform.terminate()
            server.stop()
        }

        /// The school's audit entries of this action, newest first.
        func audit(_ action: String) async throws -> [[String: Any]] {
            let page = try await server.request("GET", "/api/v1/audit?limit=200", token: adminToken).json()
            return (page["items"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == action }
        }

        static func freePort() throws -> Int {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    @Test func anAdministratorLaunchedFromTheCourseIsSignedInInsideTheLMSFrame() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let browser = try Browser(width: 1300, height: 900)
        try browser.open(URL(string: setup.platformURL + "/course?user=ada&role=admin")!)
        let tool = setup.server.url.absoluteString + "/lessons"
        try browser.waitFor("document.querySelector('.who') && document.body.innerText.includes('Northside algebra week 3')", inFrameAt: tool)
        let text = try #require(try browser.evaluate("document.body.innerText", inFrameAt: tool) as? String)
        #expect(text.contains("ada@school.example"))
        #expect(!text.contains("Southside chemistry"), "another school's lesson is shown")
        // The admin's navigation: the launch gave the admin role.
        #expect(try browser.evaluate("Boolean(document.querySelector('nav a[href=\"/users\"]'))", inFrameAt: tool) as? Bool == true)
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("lti-launch-admin.png"))

        let launches = try await setup.audit("user.lti_launch")
        #expect(launches.count == 1)
        #expect((launches.first?["detail"] as? String)?.hasPrefix("admin from \(setup.platformURL)") == true, "\(launches)")
        // A second launch of the same LMS user is the same EdControl user.
        try browser.open(URL(string: setup.platformURL + "/course?user=ada&role=admin")!)
        try browser.waitFor("document.body.innerText.includes('Northside algebra week 3')", inFrameAt: tool)
        #expect(try await setup.audit("user.lti_launch").count == 2)
        #expect(try await setup.audit("user.create").count == 1)
        // The admin's LMS page, in a window of its own.
        try browser.open(URL(string: setup.server.url.absoluteString + "/lms")!)
        try browser.waitFor("document.querySelector('#platforms') && document.querySelector('#roles')")
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("lti-lms-page.png"))
    }

    @Test func aLearnerIsToldInTheFrameThatTheirRoleGivesNoAccess() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let browser = try Browser()
        try browser.open(URL(string: setup.platformURL + "/course?user=bob&role=learner")!)
        let launch = setup.server.url.absoluteString + "/lti/launch"
        try browser.waitFor("document.body.innerText.includes('give no access')", inFrameAt: launch)
        let text = try #require(try browser.evaluate("document.body.innerText", inFrameAt: launch) as? String)
        #expect(text.contains("Learner"))
        #expect(!text.contains("Northside algebra week 3"))
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("lti-refused-learner.png"))
        let refusals = try await setup.audit("lti.launch_refused")
        #expect((refusals.first?["detail"] as? String)?.hasPrefix("no-access") == true, "\(refusals)")
    }

    /// One login of a browser through the platform, as HTTP: the tool's redirect (and the
    /// state cookie it sets), the platform's auto-posting form (id_token and state).
    struct Login {
        var stateCookie: String
        var idToken: String
        var state: String
    }

    static func login(_ setup: Setup, user: String, role: String, kind: String = "launch") async throws -> Login {
        let start = try await setup.server.request("GET", setup.platformURL + "/start?user=\(user)&role=\(role)&kind=\(kind)")
        let toolLogin = try #require(start.headers["location"], "the platform did not redirect to the tool: \(start.status)")
        let login = try await setup.server.request("GET", toolLogin)
        #expect(login.status == 302, "\(login.text)")
        let cookie = try #require(login.headers["set-cookie"]?.firstMatch(of: /(edcontrol_lti_[^=]+=[^;]+)/)?.1, "no state cookie")
        let authorize = try #require(login.headers["location"])
        #expect(authorize.hasPrefix(setup.platformURL + "/authorize?"))
        let form = try await setup.server.request("GET", authorize)
        #expect(form.status == 200, "\(form.text)")
        let idToken = try #require(form.text.firstMatch(of: /name="id_token" value="([^"]+)"/)?.1)
        let state = try #require(form.text.firstMatch(of: /name="state" value="([^"]+)"/)?.1)
        return Login(stateCookie: String(cookie), idToken: String(idToken), state: String(state))
    }

    static func launch(_ setup: Setup, idToken: String, state: String, cookie: String?) async throws -> RunningServer.Reply {
        let body = "id_token=\(idToken)&state=\(state)"
        return try await setup.server.request("POST", "/lti/launch", headers: ["Content-Type": "application/x-www-form-urlencoded",
                                                                               "Origin": setup.platformURL].merging(cookie.map { ["Cookie": $0] } ?? [:]) { $1 },
                                              body: Data(body.utf8))
    }

    /// An instructor's launch makes them a teacher of the school, who sees their own lessons
    /// and page, through the pages and the API alike, and nothing of another teacher's.
    @Test func anInstructorSeesOnlyTheirOwnLessonsAndPage() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let first = try await Self.login(setup, user: "cleo", role: "instructor")
        let launched = try await Self.launch(setup, idToken: first.idToken, state: first.state, cookie: first.stateCookie)
        #expect(launched.status == 303, "\(launched.text)")
        let ownPage = try #require(launched.headers["location"])
        #expect(ownPage.hasPrefix("/teachers/"), "a teacher lands on their own page")
        let teacherID = String(ownPage.dropFirst("/teachers/".count))
        let session = try #require(launched.headers["set-cookie"]?.firstMatch(of: /(edcontrol_session=[^;]+)/)?.1).description
        #expect((try await setup.audit("teacher.create").first?["detail"] as? String) == "Cleo Park, first launch")

        // The school files a lesson under Cleo and one under another teacher.
        let video = Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4")
        let otherTeacher = try await setup.server.request("POST", "/api/v1/teachers", token: setup.adminToken,
                                                          headers: ["Content-Type": "application/json"], body: Data(#"{"name":"Dan Other"}"#.utf8))
        let otherID = try #require(try otherTeacher.json()["id"] as? String)
        var lessonIDs: [String: String] = [:]
        for (teacher, title) in [(teacherID, "Cleo geometry"), (otherID, "Dan geometry")] {
            let upload = try await setup.server.request("POST", "/api/v1/lessons?filename=lesson.mp4&teacherId=\(teacher)&title=\(title.replacingOccurrences(of: " ", with: "%20"))",
                                                        token: setup.adminToken, file: video)
            lessonIDs[title] = try #require(try upload.json()["lesson"] as? [String: Any])["id"] as? String
        }
        let cleos = try #require(lessonIDs["Cleo geometry"]), dans = try #require(lessonIDs["Dan geometry"])

        // Through the API, with the session of the launch.
        func get(_ path: String) async throws -> RunningServer.Reply {
            try await setup.server.request("GET", path, headers: ["Cookie": session])
        }
        let list = try await get("/api/v1/lessons").json()
        #expect((list["items"] as? [[String: Any]])?.compactMap { ($0["lesson"] as? [String: Any])?["title"] as? String } == ["Cleo geometry"])
        #expect(try await get("/api/v1/lessons?teacherId=\(otherID)").json()["total"] as? Int == 1, "a filter cannot widen a teacher's list")
        #expect(try await get("/api/v1/lessons/\(cleos)").status == 200)
        for path in ["/api/v1/lessons/\(dans)", "/api/v1/lessons/\(dans)/recording", "/api/v1/lessons/\(dans)/reviews", "/api/v1/teachers/\(otherID)",
                     "/api/v1/teachers/\(otherID)/trend", "/lessons/\(dans)", "/teachers/\(otherID)"] {
            #expect(try await get(path).status == 404, "\(path) is another teacher's")
        }
        // The page saying so may be shown inside the LMS's frame.
        #expect(try await get("/lessons/\(dans)").headers["content-security-policy"]?.contains("frame-ancestors 'self' \(setup.platformURL)") == true)
        let teachers = try await get("/api/v1/teachers").json()["items"] as? [[String: Any]]
        #expect(teachers?.compactMap { $0["id"] as? String } == [teacherID])
        for path in ["/api/v1/reviews", "/api/v1/jobs/\(cleos)", "/api/v1/audit", "/api/v1/transcripts/search?q=hello", "/search", "/reviews", "/users"] {
            #expect(try await get(path).status == 403, "\(path) is not for teachers")
        }
        // Through the pages.
        let lessonsPage = try await get("/lessons").text
        #expect(lessonsPage.contains("Cleo geometry") && !lessonsPage.contains("Dan geometry") && !lessonsPage.contains("Northside algebra"))
        #expect(try await get("/teachers").headers["location"] == ownPage)
        let page = try await get(ownPage)
        #expect(page.status == 200)
        #expect(page.text.contains("Cleo Park"))

        // In the LMS's frame, in Chromium: the teacher's own page.
        let browser = try Browser(width: 1300, height: 900)
        try browser.open(URL(string: setup.platformURL + "/course?user=cleo&role=instructor")!)
        let frame = setup.server.url.absoluteString + ownPage
        try browser.waitFor("document.querySelector('h1') && document.querySelector('h1').innerText.includes('Cleo Park')", inFrameAt: frame)
        let navigation = try #require(try browser.evaluate("[...document.querySelectorAll('nav a')].map(a => a.getAttribute('href')).join(' ')", inFrameAt: frame) as? String)
        #expect(navigation == "/lessons \(ownPage)", "\(navigation)")
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("lti-launch-teacher.png"))

        // The school closes its teacher view: the session ends, the next launch is refused.
        let closed = try Fixtures.run(Fixtures.edcontrol, ["lti", "teacher-view", "off", "--data", setup.server.data.path, "--school", "Northside school"])
        #expect(closed.status == 0, "\(closed.stderr)")
        #expect(try await get("/api/v1/lessons").status == 401)
        let again = try await Self.login(setup, user: "cleo", role: "instructor")
        let refused = try await Self.launch(setup, idToken: again.idToken, state: again.state, cookie: again.stateCookie)
        #expect(refused.status == 403)
        #expect(refused.text.contains("not opened EdControl to teachers"))
    }

    /// Deep linking: from the LMS's "add a tool" launch, an admin picks a lesson; the signed
    /// answer goes back to the platform (which checks it), and the link it made opens that
    /// lesson. A teacher is offered only their own page and lessons.
    @Test func aLinkPickedInEdControlIsAddedToTheCourseAndOpensItsLesson() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let lessons = try await setup.server.request("GET", "/api/v1/lessons", token: setup.adminToken).json()["items"] as? [[String: Any]]
        let lessonID = try #require((lessons?.first?["lesson"] as? [String: Any])?["id"] as? String)
        let browser = try Browser(width: 1300, height: 900)
        try browser.open(URL(string: setup.platformURL + "/course?user=ada&role=admin&kind=deeplink")!)
        let tool = setup.server.url.absoluteString
        try browser.waitFor("document.querySelector('#add-link')", inFrameAt: tool + "/lti/deep-link/")
        let offered = try #require(try browser.evaluate("[...document.querySelectorAll('input[name=path]')].map(i => i.value).join(' ')",
                                                        inFrameAt: tool + "/lti/deep-link/") as? String)
        #expect(offered.hasPrefix("/lessons ") && offered.contains("/lessons/\(lessonID)"), "\(offered)")
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("lti-deep-link-pick.png"))
        _ = try browser.evaluate("document.querySelector('input[value=\"/lessons/\(lessonID)\"]').click(); document.querySelector('#add-link').click(); true",
                             inFrameAt: tool + "/lti/deep-link/")
        let returned = setup.platformURL + "/deep_link_return"
        try browser.waitFor("document.querySelector('#added, #refused')", inFrameAt: returned)
        let added = try #require(try browser.evaluate("document.body.innerText", inFrameAt: returned) as? String)
        #expect(added.contains("Lesson: Northside algebra week 3") && added.contains("\(tool)/lessons/\(lessonID)"), "\(added)")
        #expect(try await setup.audit("lti.deep_link").count == 1)

        // The course's new link launches the lesson itself.
        try browser.open(URL(string: setup.platformURL + "/course?user=ada&role=admin&target=" + "\(tool)/lessons/\(lessonID)".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)!)
        try browser.waitFor("document.querySelector('h1') && document.querySelector('h1').innerText.includes('Northside algebra week 3')", inFrameAt: "\(tool)/lessons/\(lessonID)")

        // A teacher picking a link is offered their own page and lessons only.
        let login = try await Self.login(setup, user: "cleo", role: "instructor", kind: "deeplink")
        let launched = try await Self.launch(setup, idToken: login.idToken, state: login.state, cookie: login.stateCookie)
        let pick = try #require(launched.headers["location"])
        #expect(pick.hasPrefix("/lti/deep-link/"), "\(launched.status) \(launched.text)")
        let session = try #require(launched.headers["set-cookie"]?.firstMatch(of: /(edcontrol_session=[^;]+)/)?.1).description
        let page = try await setup.server.request("GET", pick, headers: ["Cookie": session]).text
        let paths = page.matches(of: /name="path" value="([^"]+)"/).map { String($0.1) }
        #expect(paths.count == 2 && paths[0] == "/lessons" && paths[1].hasPrefix("/teachers/"), "\(paths)")
        // Someone else's request is not theirs to answer.
        #expect(try await setup.server.request("GET", pick).status == 303)
    }

    /// An admin imports a course's instructors through the platform's membership service
    /// (a token got with a signed assertion): matched by LMS account, never twice; learners
    /// and members who left are not teachers.
    @Test func aCoursesInstructorsAreImportedAsTeachersOnce() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        // Cleo launched before: she is a teacher linked to her LMS account.
        let cleo = try await Self.login(setup, user: "cleo", role: "instructor")
        #expect(try await Self.launch(setup, idToken: cleo.idToken, state: cleo.state, cookie: cleo.stateCookie).status == 303)
        let ada = try await Self.login(setup, user: "ada", role: "admin")
        let launched = try await Self.launch(setup, idToken: ada.idToken, state: ada.state, cookie: ada.stateCookie)
        let session = try #require(launched.headers["set-cookie"]?.firstMatch(of: /(edcontrol_session=[^;]+)/)?.1).description

        func importTeachers() async throws -> String {
            let page = try await setup.server.request("GET", "/teachers", headers: ["Cookie": session]).text
            func field(_ name: String) throws -> String {
                try #require(page.firstMatch(of: try Regex("name=\"\(name)\" value=\"([^\"]*)\""))?.output[1].substring).description
            }
            let form = try ["csrf", "platform", "course", "title"].map { "\($0)=\(try field($0).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
            let answer = try await setup.server.request("POST", "/teachers/import", headers: ["Cookie": session, "Content-Type": "application/x-www-form-urlencoded"],
                                                        body: Data(form.joined(separator: "&").utf8))
            return try #require(answer.text.firstMatch(of: /id="teachers-notice">([^<]*)</)?.1, "\(answer.status): \(answer.text.prefix(2000))").description
        }
        #expect(try await importTeachers() == "Algebra 1: 1 new teachers, 1 already known.")
        #expect(try await importTeachers() == "Algebra 1: 0 new teachers, 2 already known.")
        let teachers = try await setup.server.request("GET", "/api/v1/teachers", token: setup.adminToken).json()["items"] as? [[String: Any]]
        #expect(teachers?.compactMap { $0["name"] as? String }.sorted() == ["Cleo Park", "Dan Brook"])
        #expect(try await setup.audit("lti.teachers_import").count == 2)
    }

    /// Dynamic registration: the school's link pasted into the LMS; the LMS opens it in a
    /// frame, someone agrees, the tool registers itself and the page asks the LMS to close
    /// it; launches then work. The link works once.
    @Test func anLMSRegistersItselfWithTheSchoolsLink() async throws {
        let setup = try await Setup(registered: false)
        defer { setup.stop() }
        let made = try Fixtures.run(Fixtures.edcontrol, ["lti", "registration-link", "--data", setup.server.data.path, "--school", "Northside school",
                                                         "--public-url", setup.server.url.absoluteString])
        #expect(made.status == 0, "\(made.stderr)")
        let link = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix(setup.server.url.absoluteString + "/lti/register/"))
        let browser = try Browser(width: 1300, height: 900)
        try browser.open(URL(string: setup.platformURL + "/tools/register?url=" + link.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)!)
        try browser.waitFor("document.querySelector('#register-button')", inFrameAt: link)
        #expect(try browser.evaluate("document.querySelector('#register-issuer').innerText", inFrameAt: link) as? String == setup.platformURL)
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("lti-register-consent.png"))
        _ = try browser.evaluate("document.querySelector('#register-button').click(); true", inFrameAt: link)
        try browser.waitFor("document.getElementById('state').textContent === 'closed'")
        #expect((try await setup.audit("lti.platform_add").first?["actor"] as? String) == "LMS dynamic registration (\(setup.platformURL))")

        // Launches from the platform now sign in.
        try browser.open(URL(string: setup.platformURL + "/course?user=ada&role=admin")!)
        try browser.waitFor("document.body.innerText.includes('Northside algebra week 3')", inFrameAt: setup.server.url.absoluteString + "/lessons")
        // The link is used up.
        let again = try await setup.server.request("GET", link + "?openid_configuration=" + "\(setup.platformURL)/.well-known/openid-configuration".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(again.status == 403)
        #expect(again.text.contains("expired or was already used"))
    }

    /// The admins' LMS page: the platform, the tool's URLs, a registration link shown once,
    /// the teacher view switched, the platform removed (its launches refused from then on).
    @Test func theLMSPageManagesTheSchoolsPlatforms() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let ada = try await Self.login(setup, user: "ada", role: "admin")
        let launched = try await Self.launch(setup, idToken: ada.idToken, state: ada.state, cookie: ada.stateCookie)
        let session = try #require(launched.headers["set-cookie"]?.firstMatch(of: /(edcontrol_session=[^;]+)/)?.1).description
        let page = try await setup.server.request("GET", "/lms", headers: ["Cookie": session]).text
        #expect(page.contains(setup.platformURL) && page.contains("\(setup.server.url.absoluteString)/lti/jwks"))
        let csrf = try #require(page.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1).description
        let platform = try #require(page.firstMatch(of: /action="\/lms\/platforms\/([^\/]+)\/remove"/)?.1).description
        func post(_ path: String, _ form: String = "") async throws -> RunningServer.Reply {
            try await setup.server.request("POST", path, headers: ["Cookie": session, "Content-Type": "application/x-www-form-urlencoded"],
                                           body: Data("csrf=\(csrf)&\(form)".utf8))
        }
        let link = try #require(try await post("/lms/registration-link").text.firstMatch(of: /id="registration-link">([^<]+)</)?.1).description
        #expect(link.hasPrefix(setup.server.url.absoluteString + "/lti/register/"))
        #expect(!(try await setup.server.request("GET", "/lms", headers: ["Cookie": session]).text.contains(link)), "the link is shown once")
        // The school's own table of roles: learners become viewers from their next launch.
        let rules = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator = admin\nLearner = viewer"
        #expect(try await post("/lms/roles", "roles=" + rules.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!).text.contains("was saved"))
        #expect(try await post("/lms/roles", "roles=Learner%20%3D%20owner").text.contains("is not an EdControl role"))
        let bob = try await Self.login(setup, user: "bob", role: "learner")
        let learner = try await Self.launch(setup, idToken: bob.idToken, state: bob.state, cookie: bob.stateCookie)
        #expect(learner.status == 303, "\(learner.text)")
        #expect(try await setup.audit("user.lti_launch").first?["detail"] as? String == "viewer from \(setup.platformURL) (LtiResourceLinkRequest, deployment deployment-1)")
        #expect(try await post("/lms/teacher-view", "state=off").text.contains("Closed to teachers."))
        #expect(try await post("/lms/platforms/\(platform)/remove").text.contains("was removed"))
        #expect(try await setup.audit("lti.platform_remove").count == 1)
        #expect(try await setup.audit("school.teacher_view").first?["detail"] as? String == "off")
        let start = try await setup.server.request("GET", setup.platformURL + "/start?user=ada&role=admin&kind=launch")
        let refused = try await setup.server.request("GET", try #require(start.headers["location"]))
        #expect(refused.status == 403)
        #expect(refused.text.contains("No school has registered the platform"))
    }

    /// The refusals of the issue's list, each on a launch of this browser's login whose token
    /// the platform signs as the case needs (its own key, a key not in its key set, none, HS256
    /// with its public key): a page inside the LMS's frame saying what is wrong, and an audit
    /// entry with the reason's code.
    @Test func everyForgedOrWrongLaunchIsRefusedWithAPageAndAnAuditEntry() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let now = Int(Date().timeIntervalSince1970)
        let cases: [(name: String, mode: String, code: String, words: String, change: (inout [String: Any]) -> Void)] = [
            ("a key not in the platform's key set", "foreign", "unknown-key", "that is not in the platform", { _ in }),
            ("alg none", "none", "algorithm-not-allowed", "LTI 1.3 allows RS256 only", { _ in }),
            ("HS256 signed with the public key", "hs256-public-key", "algorithm-not-allowed", "LTI 1.3 allows RS256 only", { _ in }),
            ("expired", "platform", "expired", "has expired", { $0["exp"] = now - 3600; $0["iat"] = now - 3900 }),
            ("another tool's token", "platform", "unknown-platform", "with client id another-tool", { $0["aud"] = "another-tool"; $0["azp"] = nil }),
            ("several audiences, azp another tool", "platform", "wrong-audience", "not meant for this tool", {
                $0["aud"] = ["another-tool", "edcontrol-client"]; $0["azp"] = "another-tool" }),
            ("unknown deployment", "platform", "unknown-deployment", "deployment-9", {
                $0["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "deployment-9" }),
            ("missing roles", "platform", "missing-claim", "lacks the claim", { $0["https://purl.imsglobal.org/spec/lti/claim/roles"] = nil }),
            ("another login's nonce (a replayed token)", "platform", "nonce-mismatch", "nonce differs", { $0["nonce"] = "a-nonce-of-another-login" }),
        ]
        for item in cases {
            let login = try await Self.login(setup, user: "ada", role: "admin")
            let payload = try #require(login.idToken.split(separator: ".").dropFirst().first)
            let json = try #require(Data(base64URL: String(payload)))
            var claims = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            item.change(&claims)
            let signed = try await setup.server.request("POST", setup.platformURL + "/test/sign", headers: ["Content-Type": "application/json"],
                                                        body: try JSONSerialization.data(withJSONObject: ["claims": claims, "mode": item.mode]))
            let token = try #require(try signed.json()["token"] as? String)
            let refused = try await Self.launch(setup, idToken: token, state: login.state, cookie: login.stateCookie)
            #expect(refused.status == 403, "\(item.name)")
            #expect(refused.headers["content-type"]?.hasPrefix("text/html") == true, "\(item.name)")
            #expect(refused.text.contains(item.words), "\(item.name): \(refused.text.firstMatch(of: /<p>([^<]*)<\/p>/)?.1 ?? "")")
            #expect(refused.headers["content-security-policy"]?.contains("frame-ancestors 'self' \(setup.platformURL)") == true, "\(item.name): framable by the LMS")
            let audited = try await setup.audit("lti.launch_refused").first?["detail"] as? String
            #expect(audited?.hasPrefix(item.code + ":") == true, "\(item.name): \(audited ?? "no audit entry")")
        }
        #expect(try await setup.audit("user.lti_launch").isEmpty)

        // A token used once is not taken again, with its own state or another login's.
        let genuine = try await Self.login(setup, user: "ada", role: "admin")
        #expect(try await Self.launch(setup, idToken: genuine.idToken, state: genuine.state, cookie: genuine.stateCookie).status == 303)
        let replayed = try await Self.launch(setup, idToken: genuine.idToken, state: genuine.state, cookie: genuine.stateCookie)
        #expect(replayed.status == 403 && replayed.text.contains("answers no sign-in under way"))
        let next = try await Self.login(setup, user: "ada", role: "admin")
        let elsewhere = try await Self.launch(setup, idToken: genuine.idToken, state: next.state, cookie: next.stateCookie)
        #expect(elsewhere.status == 403 && elsewhere.text.contains("nonce differs"))
    }

    /// Served over HTTPS (behind a proxy, `--public-url https://…`), the state and session
    /// cookies are `SameSite=None; Secure`, which browsers need to send them inside the LMS's
    /// frame; launches come back to the public address.
    @Test func behindHTTPSTheCookiesWorkInsideTheLMSsFrame() async throws {
        let setup = try await Setup(publicURL: "https://edcontrol.school.example")
        defer { setup.stop() }
        // The LMS knows the tool by its public address; the login is asked of the server itself here.
        let target = "https://edcontrol.school.example/lti/launch".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let issuer = setup.platformURL.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let login = try await setup.server.request("GET", "/lti/login?iss=\(issuer)&login_hint=ada&target_link_uri=\(target)&client_id=edcontrol-client")
        let cookie = try #require(login.headers["set-cookie"])
        #expect(cookie.contains("SameSite=None") && cookie.contains("Secure") && cookie.contains("HttpOnly"), "\(cookie)")
        #expect(login.headers["location"]?.contains("redirect_uri=https://edcontrol.school.example/lti/launch&") == true,
                "\(login.headers["location"] ?? "")")
    }

    /// The same management through the API, every answer as the OpenAPI document says.
    @Test func adminsManagePlatformsAndRolesThroughTheAPI() async throws {
        let setup = try await Setup(validated: true)
        defer { setup.stop() }
        let admin = setup.adminToken, viewer = try setup.server.token(school: "Northside school", role: "viewer")
        func call(_ method: String, _ path: String, token: String? = nil, _ body: String? = nil) async throws -> RunningServer.Reply {
            try await setup.server.request(method, path, token: token ?? admin, headers: body == nil ? [:] : ["Content-Type": "application/json"],
                                           body: body.map { Data($0.utf8) })
        }
        let listed = try await call("GET", "/api/v1/lti/platforms").json()["items"] as? [[String: Any]]
        #expect(listed?.compactMap { $0["issuer"] as? String } == [setup.platformURL])
        let moodle = #"{"issuer":"https://moodle.school.example","clientID":"AbC123","deploymentIDs":["4"],"authorizationURL":"https://moodle.school.example/mod/lti/auth.php","tokenURL":"https://moodle.school.example/mod/lti/token.php","keysURL":"https://moodle.school.example/mod/lti/certs.php"}"#
        let added = try await call("POST", "/api/v1/lti/platforms", moodle)
        #expect(added.status == 201, "\(added.text)")
        #expect(try added.json()["frameOrigins"] as? [String] == ["https://moodle.school.example"])
        #expect(try await call("POST", "/api/v1/lti/platforms", moodle).message.contains("registered already"))
        #expect(try await call("POST", "/api/v1/lti/platforms", moodle.replacingOccurrences(of: "\"4\"", with: "\"\"").replacingOccurrences(of: "AbC123", with: "Other")).status == 400)
        #expect(try await call("GET", "/api/v1/lti/platforms", token: viewer).status == 403)

        let table = try await call("PUT", "/api/v1/lti/roles", #"{"rules":[{"ltiRole":"Learner","role":"viewer"}]}"#).json()
        #expect(table["builtIn"] as? Bool == false)
        #expect(try await call("PUT", "/api/v1/lti/roles", #"{"rules":[{"ltiRole":"Learner","role":"owner"}]}"#).status == 400)
        #expect(try await call("PUT", "/api/v1/lti/roles", #"{"rules":null}"#).json()["builtIn"] as? Bool == true)
        #expect((try await call("GET", "/api/v1/lti/roles").json()["rules"] as? [[String: Any]])?.count == LTIRoleMap.defaults.rules.count)

        let id = try #require(try added.json()["id"] as? String)
        #expect(try await call("DELETE", "/api/v1/lti/platforms/\(id)").status == 204)
        #expect(try await call("DELETE", "/api/v1/lti/platforms/\(id)").status == 404)
        #expect(try await setup.audit("lti.platform_add").count == 2, "the command line's and the API's")
        #expect(try await setup.audit("lti.platform_remove").count == 1)
        try setup.server.expectEveryResponseAsDocumented(atLeast: 10)
    }

    @Test func launchesThatAreNotThisBrowsersOrAreTamperedWithAreRefusedAndAudited() async throws {
        let setup = try await Setup()
        defer { setup.stop() }

        // A state another browser started (no cookie of it here): refused, and used up.
        let stolen = try await Self.login(setup, user: "ada", role: "admin")
        let elsewhere = try await Self.launch(setup, idToken: stolen.idToken, state: stolen.state, cookie: nil)
        #expect(elsewhere.status == 403)
        #expect(elsewhere.text.contains("another browser"))
        #expect(elsewhere.headers["content-type"]?.hasPrefix("text/html") == true)
        let again = try await Self.launch(setup, idToken: stolen.idToken, state: stolen.state, cookie: stolen.stateCookie)
        #expect(again.status == 403)
        #expect(again.text.contains("answers no sign-in under way"))

        // A signature that does not match the platform's key.
        let tampered = try await Self.login(setup, user: "ada", role: "admin")
        var parts = tampered.idToken.split(separator: ".").map(String.init)
        let payload = try #require(Data(base64URL: parts[1]))
        let raised = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "ada@school.example", with: "eve@school.example")
        parts[1] = Data(raised.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let forged = try await Self.launch(setup, idToken: parts.joined(separator: "."), state: tampered.state, cookie: tampered.stateCookie)
        #expect(forged.status == 403)
        #expect(forged.text.contains("signature does not match"))

        // The same flow untouched signs in, with the session cookie, and may be framed by the platform.
        let genuine = try await Self.login(setup, user: "ada", role: "admin")
        let signedIn = try await Self.launch(setup, idToken: genuine.idToken, state: genuine.state, cookie: genuine.stateCookie)
        #expect(signedIn.status == 303, "\(signedIn.text)")
        #expect(signedIn.headers["location"] == "/lessons")
        let session = try #require(signedIn.headers["set-cookie"]?.firstMatch(of: /(edcontrol_session=[^;]+)/)?.1)
        let lessons = try await setup.server.request("GET", "/lessons", headers: ["Cookie": String(session)])
        #expect(lessons.status == 200)
        #expect(lessons.text.contains("Northside algebra week 3"))
        #expect(lessons.headers["content-security-policy"]?.contains("frame-ancestors 'self' \(setup.platformURL)") == true,
                "\(lessons.headers["content-security-policy"] ?? "")")
        #expect(lessons.headers["x-frame-options"] == nil)
        // Another school's signed-in pages stay unframable.
        let other = try await setup.server.request("GET", "/sign-in")
        #expect(other.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)

        let codes = try await setup.audit("lti.launch_refused").compactMap { ($0["detail"] as? String)?.split(separator: ":").first.map(String.init) }
        #expect(codes == ["bad-signature", "state-from-another-browser"], "\(codes)")
    }
}
