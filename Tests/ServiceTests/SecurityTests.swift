@testable import EdControlStorage
@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlService
@testable import EdControlWeb
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// The attacks of the hardening issue, each refused or handled: here those that the
/// server's router shows in-process (Hummingbird's testing framework) over a real store
/// (on both backends where they store or read) and real ffprobe; `LiveSecurityTests` has
/// those that need a server process.
@Suite("Security")
struct SecurityTests {
    @Test func pagesAndAnswersCarryHeadersThatStopFramingAndSniffing() async throws {
        let site = try await RouterInstallation("security", role: .admin)
        try await site.application().test(.router) { client in
            let page = try await client.execute(uri: "/sign-in", method: .get)
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe"), "\(policy)")
            #expect(page.headers[.xFrameOptions] == "DENY" && page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[.referrerPolicy] == "same-origin")
            // JSON answers, errors included, may not be sniffed or run either.
            for uri in ["/api/v1/lessons", "/api/v1/no-such-thing", "/api/v1/lessons/nobody/recording"] {
                let answer = try await client.execute(uri: uri, method: .get, headers: site.bearer)
                #expect(answer.headers[.xContentTypeOptions] == "nosniff" && answer.headers[.contentSecurityPolicy]?.contains("sandbox") == true,
                        "\(uri): \(answer.status) \(answer.headers)")
            }
            // The pages need nothing the policy refuses: no inline style attributes or scripts.
            let lessons = try await client.execute(uri: "/lessons", method: .get, headers: site.bearer)
            let html = String(buffer: lessons.body)
            #expect(lessons.status == .ok && html.contains("upload-form"), "\(lessons.status)")
            #expect(!html.contains("style=\""), "an inline style attribute the policy would refuse")
            let scripts = html.components(separatedBy: "<script").dropFirst()
            #expect(scripts.allSatisfy { $0.hasPrefix(" src=") || $0.hasPrefix(" type=\"application/json\"") }, "inline script: \(scripts)")
        }
    }

    /// Uploads that are not recordings but name one: a playlist, a concat list, a manifest, a
    /// session description and protocol-prefixed references, each pointing at another
    /// "school's" recording on the same disk. Each is refused before any demuxer reads it, and
    /// the recording they name is never opened (the kernel's inotify would tell).
    @Test(arguments: TestBackend.allCases) func uploadsThatNameOtherFilesAreRefusedAndNeverFollowed(_ backend: TestBackend) async throws {
        let site = try await RouterInstallation("security", role: .admin, on: backend)
        let elsewhere = try Fixtures.temporaryDirectory("canary")
        let canary = elsewhere.appendingPathComponent("recording.wav")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Fixtures.librivox[1]), to: canary)
        let path = canary.path
        let references: [(name: String, text: String, kind: String)] = [
            ("playlist.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:30\n#EXTINF:30,\n\(path)\n#EXT-X-ENDLIST\n", "HLS playlist"),
            ("prefixed.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:30\n#EXTINF:30,\nconcat:\(path)|\(path)\n#EXT-X-ENDLIST\n", "HLS playlist"),
            ("list.ffconcat", "ffconcat version 1.0\nfile '\(path)'\n", "concat list"),
            ("subfile.ffconcat", "ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:\(path)'\n", "concat list"),
            ("manifest.mpd", """
                <?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT30S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
                <Period><AdaptationSet mimeType="audio/wav"><Representation id="a" bandwidth="256000"><BaseURL>file://\(path)</BaseURL></Representation></AdaptationSet></Period></MPD>
                """, "DASH manifest"),
            ("session.sdp", "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=lesson\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 0\n", "session description"),
        ]
        let watch = try FileOpenWatch(canary)
        try await site.application().test(.router) { client in
            for reference in references {
                let reply = try await client.execute(uri: "/api/v1/lessons?filename=\(reference.name)", method: .post, headers: site.bearer,
                                                     body: ByteBuffer(string: reference.text))
                let message = String(buffer: reply.body)
                #expect(reply.status == .unsupportedMediaType && message.contains(reference.kind) && message.contains("MP4, MOV"),
                        "\(reference.name): \(reply.status) \(message)")
                #expect(!message.contains(path), "\(reference.name): \(message)")
            }
        }
        #expect(watch.opens() == 0, "the canary recording was opened")
        #expect(try await site.store.lessons(schoolID: site.caller.schoolID, matching: LessonQuery()).total == 0)
        for folder in [FileName.uploads, FileName.lessons] {
            let left = try await site.server.lessons.files.list(under: folder)
            #expect(left.isEmpty, "\(folder) keeps a refused upload: \(left.map(\.name))")
        }
        // The engine's readers refuse them too (a lesson stored before this check, or the command line).
        let playlist = elsewhere.appendingPathComponent("playlist.m3u8")
        try references[0].text.write(to: playlist, atomically: true, encoding: .utf8)
        #expect(throws: MediaError.formatNotAccepted(playlist.path, format: "hls")) { try FFprobe().probe(playlist) }
        #expect(throws: MediaError.self) { try FFmpegAudioDecoder().decode(playlist, chunkSeconds: 10) { _ in } }
        #expect(throws: MediaError.self) { try VideoSampler(url: playlist, formats: .picturesAndRecordings, start: 0, filters: "null", threads: 1, skipNonReference: false) }
        #expect(throws: MediaError.self) { try VideoSampler.keyFrames(in: playlist, formats: .picturesAndRecordings, atOrBefore: [0]) }
        #expect(watch.opens() == 0, "the canary recording was opened by an engine reader")
        // The canary itself is an accepted recording (so the watch would see it read).
        _ = try FFprobe().probe(canary)
        #expect(watch.opens() > 0)
    }

    /// The language switch and the sign-in form go back only to paths on this site, whatever
    /// a browser would make of the target (it drops tabs and line breaks, reads "\\" as "/").
    @Test(arguments: TestBackend.allCases) func redirectsGoOnlyToPathsOnThisSite(_ backend: TestBackend) async throws {
        let site = try await RouterInstallation("security", role: .admin, on: backend)
        _ = try await UserAccounts.create(in: site.store, school: "School A", email: "anna@school.org", name: "Anna", role: .manager, password: "a correct password")
        let tricks = ["/%09/evil.example", "/%0A/evil.example", "/%0D%0A/evil.example", "%2F%2Fevil.example", "/%5Cevil.example",
                      "%5C%5Cevil.example", "/%5C/evil.example", "https://evil.example", "//evil.example", "/%2F/evil.example",
                      "javascript:alert(1)", "%20//evil.example", "/%E3%80%82/evil.example", "/%00/evil.example", "/lessons%0D%0ASet-Cookie:x=1", ""]
        try await site.application().test(.router) { client in
            for trick in tricks {
                let language = try await client.execute(uri: "/language/ru?back=\(trick)", method: .get)
                #expect(language.status == .found && language.headers[.location] == "/lessons", "back=\(trick): \(language.headers[.location] ?? "none")")
                let form = try await client.execute(uri: "/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                    body: ByteBuffer(string: "email=anna%40school.org&password=a+correct+password&next=\(trick)"))
                #expect(form.status == .seeOther && form.headers[.location] == "/lessons", "next=\(trick): \(form.headers[.location] ?? "none")")
            }
            // A path on this site, with its query, is kept.
            let local = try await client.execute(uri: "/language/ru?back=%2Flessons%3Fq%3Dmath%26page%3D2", method: .get)
            #expect(local.headers[.location] == "/lessons?q=math&page=2")
        }
    }

    @Test func bearerIsReadWhateverItsCase() async throws {
        let site = try await RouterInstallation("security", role: .admin)
        try await site.application().test(.router) { client in
            for scheme in ["Bearer", "bearer", "BEARER"] {
                let reply = try await client.execute(uri: "/api/v1/lessons", method: .get, headers: [.authorization: "\(scheme) \(site.token)"])
                #expect(reply.status == .ok, "\(scheme): \(reply.status)")
            }
            #expect(try await client.execute(uri: "/api/v1/lessons", method: .get, headers: [.authorization: "Basic \(site.token)"]).status == .unauthorized)
        }
    }

    @Test(arguments: TestBackend.allCases) func recordingAnswersHeadAndClampsRangesPastTheEnd(_ backend: TestBackend) async throws {
        let site = try await RouterInstallation("security", role: .admin, on: backend)
        let recording = try Data(contentsOf: URL(fileURLWithPath: Fixtures.librivox[1]))
        try await site.application().test(.router) { client in
            let upload = try await client.execute(uri: "/api/v1/lessons?filename=clip.wav", method: .post, headers: site.bearer,
                                                  body: ByteBuffer(bytes: recording))
            #expect(upload.status == .created, "\(String(buffer: upload.body))")
            let lesson = try #require(try await site.store.lessons(schoolID: site.store.school(named: "School A", createIfMissing: false)!.id,
                                                                   matching: LessonQuery()).items.first?.lesson.id)
            let uri = "/api/v1/lessons/\(lesson)/recording"
            let head = try await client.execute(uri: uri, method: .head, headers: site.bearer)
            #expect(head.status == .ok && head.headers[.contentLength] == String(recording.count) && head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == "audio/wav" && head.headers[.acceptRanges] == "bytes")
            var ranged = site.bearer
            ranged[.range] = "bytes=100-18446744073709551616"  // 2^64: "to the end", as some players ask
            let tail = try await client.execute(uri: uri, method: .get, headers: ranged)
            #expect(tail.status == .partialContent && tail.headers[.contentRange] == "bytes 100-\(recording.count - 1)/\(recording.count)")
            #expect(tail.body.readableBytes == recording.count - 100)
            ranged[.range] = "bytes=\(recording.count)-"
            #expect(try await client.execute(uri: uri, method: .get, headers: ranged).status == .rangeNotSatisfiable)
            ranged[.range] = "bytes=abc-def"
            #expect(try await client.execute(uri: uri, method: .get, headers: ranged).status == .rangeNotSatisfiable)
        }
    }

    @Test func metricsNeedTheInstallationsTokenNotASchools() async throws {
        let site = try await RouterInstallation("security", role: .admin)
        try await site.application().test(.router) { client in
            let refused = try await client.execute(uri: "/metrics", method: .get, headers: site.bearer)
            #expect(refused.status == .unauthorized && String(buffer: refused.body).contains("metrics.token"))
            let metricsToken = try site.data.metricsToken()
            let again = try site.data.metricsToken()
            #expect(metricsToken.count == 68 && metricsToken == again, "made once, then kept")
            let permissions = try FileManager.default.attributesOfItem(atPath: site.data.root.appendingPathComponent("metrics.token").path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(metricsToken)"])
            // (What it holds is tested against a real server in ServiceAPITests: this process's metrics backend is not Prometheus.)
            #expect(metrics.status == .ok && metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
        }
    }

    /// Every spelling of a place inside the network is refused with its reason; public
    /// addresses and networks the operator allowed are taken.
    @Test func webhookTargetsInsideTheNetworkAreRefusedInAnySpelling() async throws {
        let policy = WebhookTargetPolicy()
        let refused: [(String, String)] = [
            ("http://127.0.0.1:8080/hook", "loopback"), ("http://[::1]/", "loopback"), ("http://0x7f000001/", "loopback"),
            ("http://2130706433/", "loopback"), ("http://0177.0.0.1/", "loopback"), ("http://127.1/", "loopback"),
            ("http://localhost:9000/", "loopback"), ("http://[::ffff:127.0.0.1]/", "loopback"), ("http://[::ffff:7f00:1]/", "loopback"),
            ("http://[2002:7f00:1::]/", "loopback"), ("http://10.0.0.1/", "private"), ("http://172.20.1.1/", "private"),
            ("http://192.168.1.10/", "private"), ("http://[fd00:ec2::254]/", "private"), ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
            ("http://[64:ff9b::a9fe:a9fe]/", "cloud metadata"), ("http://[fe80::1]/", "link-local"), ("http://224.0.0.251/", "multicast"),
            ("http://[ff02::1]/", "multicast"), ("http://0.0.0.0/", "this network"), ("http://100.64.0.1/", "carrier-NAT"),
            ("http://255.255.255.255/", "reserved"),
        ]
        for (url, reason) in refused {
            do {
                let target = try await policy.vet(url)
                Issue.record("\(url) was taken (\(target.address))")
            } catch let refusal as WebhookTargetPolicy.Refusal {
                #expect(refusal.description.contains(reason) && !refusal.malformed, "\(url): \(refusal)")
            }
        }
        for url in ["ftp://lms.example.org/", "not a url", "http://user:secret@lms.example.org/"] {
            await #expect(throws: WebhookTargetPolicy.Refusal.self, "\(url)") { try await policy.vet(url) }
        }
        #expect(try await policy.vet("https://93.184.215.14/edcontrol").address == "93.184.215.14")
        #expect(try await policy.vet("http://[2606:4700::1111]:8443/").address == "2606:4700::1111")
        let school = WebhookTargetPolicy(allowedNetworks: [try #require(IPNetwork("10.1.2.0/24")), try #require(IPNetwork("127.0.0.1"))])
        #expect(try await school.vet("http://10.1.2.9/lms").address == "10.1.2.9")
        #expect(try await school.vet("http://0x7f000001:9/").address == "127.0.0.1")
        await #expect(throws: WebhookTargetPolicy.Refusal.self) { try await school.vet("http://10.1.3.1/") }
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("nonsense/8") == nil)
    }

    /// Every block of IANA's special-purpose address registries is refused, each shown by an
    /// address inside it (written here, not taken from the table); addresses just outside
    /// them are public and taken.
    @Test func webhookTargetsFollowTheSpecialPurposeRegistriesInFull() async throws {
        let policy = WebhookTargetPolicy()
        let inside = ["0.1.2.3", "10.255.0.1", "100.127.255.254", "127.8.8.8", "169.254.1.1", "172.31.255.255", "192.0.0.9", "192.0.0.170",
                      "192.0.2.77", "192.31.196.1", "192.52.193.1", "192.88.99.1", "192.168.200.1", "192.175.48.6", "198.19.0.1",
                      "198.51.100.5", "203.0.113.250", "239.255.255.250", "250.1.1.1", "255.255.255.255",
                      "::", "::1", "::8.8.8.8", "::ffff:8.8.8.8", "::ffff:0:808:808", "64:ff9b:1::8.8.8.8", "100::1", "100:0:0:1::1",
                      "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:1::1", "2001:2::1", "2001:3::1", "2001:4:112::1",
                      "2001:20::1", "2001:db8:1::1", "2002:808:808::1", "2620:4f:8000::53", "3fff:fff::1", "5f00:1::1",
                      "fd12:3456::1", "fe80::abcd", "fec0::1", "ff05::2"]
        for text in inside {
            let address = try #require(IPAddress(text), "\(text)")
            #expect(policy.refusal(of: address) != nil, "\(text) is special-purpose but was taken")
        }
        for text in ["8.8.8.8", "1.1.1.1", "192.0.1.255", "192.88.100.1", "198.20.0.1", "100.128.0.1", "223.255.255.254",
                     "2606:4700::1111", "2a00:1450:4001::200e", "64:ff9b::808:808", "2001:200::1", "2003::1"] {
            let address = try #require(IPAddress(text), "\(text)")
            #expect(policy.refusal(of: address) == nil, "\(text) is public but was refused: \(policy.refusal(of: address) ?? "")")
        }
        // In a URL, with its reason.
        do {
            _ = try await policy.vet("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/")
            Issue.record("Teredo was taken")
        } catch let refusal as WebhookTargetPolicy.Refusal {
            #expect(refusal.description.contains("Teredo"), "\(refusal)")
        }
    }

}
