@testable import EdControlTestSupport
import EdControlEngine
import EdControlReports
import Foundation
import LessonSynthesis
import Testing

/// report.html in a real browser (headless Chromium): clicking seeks the player.
@Suite("report.html in Chromium")
struct HTMLReportTests {
    /// Loads the report in an iframe, does `action` once the player has metadata, and
    /// returns what `action` wrote (Chromium's --dump-dom prints the page after scripts ran).
    private func inBrowser(_ directory: URL, action: String) throws -> String {
        let probe = directory.appendingPathComponent("probe.html")
        try """
        <!DOCTYPE html><html><body><iframe id="f" src="report.html" width="1366" height="900"></iframe><pre id="result">pending</pre>
        <script>
        const f = document.getElementById('f');
        f.onload = () => {
          const d = f.contentDocument, player = d.getElementById('player');
          const done = text => { document.getElementById('result').textContent = text; };
          const run = () => { \(action) };
          if (player.readyState >= 1) run(); else player.addEventListener('loadedmetadata', run);
        };
        </script></body></html>
        """.write(to: probe, atomically: true, encoding: .utf8)
        let result = try Fixtures.run("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                                                   "--virtual-time-budget=8000", "--dump-dom", probe.absoluteString])
        #expect(result.status == 0, "chromium failed: \(result.stderr.suffix(500))")
        guard let start = result.stdout.range(of: "<pre id=\"result\">"),
              let end = result.stdout.range(of: "</pre>", range: start.upperBound..<result.stdout.endIndex) else { return "" }
        return String(result.stdout[start.upperBound..<end.lowerBound])
    }

    @Test func clickingAnIncidentOrTheTimelineSeeksThePlayer() throws {
        let dir = try Fixtures.temporaryDirectory()
        var spec = LessonSpec(seed: 61, speakerCount: 3, durationSeconds: 120)
        spec.voiceSet = .classic
        spec.voices = [Voice.pool[0], Voice.pool[1], Voice.pool[3]]
        spec.raisedVoiceProbability = 0.3
        spec.withVideo = true
        spec.photos = Fixtures.photos
        let lesson = try LessonGenerator().generate(spec, into: dir, name: "lesson")
        let out = dir.appendingPathComponent("report")
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(lesson.media)
        try ReportWriter(directory: out).write(report, media: lesson.media)
        let episode = try #require(report.incidents.last, "the lesson has planted shouts")

        let afterButton = try inBrowser(out, action: """
            const buttons = d.querySelectorAll('button.seek'); buttons[buttons.length - 1].click();
            setTimeout(() => done(String(player.currentTime)), 300);
            """)
        #expect(abs((Double(afterButton) ?? -1) - episode.start) < 0.05, "currentTime \(afterButton), episode at \(episode.start)")

        // Half-way along the plot area of the timeline is half-way through the lesson.
        let afterTimeline = try inBrowser(out, action: """
            const svg = d.getElementById('timeline'), box = svg.getBoundingClientRect();
            const x = box.left + (+svg.dataset.x0 + svg.dataset.plotWidth / 2) * box.width / svg.dataset.viewWidth;
            svg.dispatchEvent(new MouseEvent('click', {clientX: x, clientY: box.top + 10, bubbles: true}));
            setTimeout(() => done(String(player.currentTime)), 300);
            """)
        let half = report.talkMetrics.durationSeconds / 2
        #expect(abs((Double(afterTimeline) ?? -1) - half) < 1, "currentTime \(afterTimeline), expected about \(half)")
    }

    @Test func pageIsSelfContainedAndEscapesNames() throws {
        let lesson = try Fixtures.lesson(seed: 31, speakers: 2, duration: 45)
        let dir = try Fixtures.temporaryDirectory()
        let renamed = dir.appendingPathComponent("<b>урок & \"test\".wav")
        try FileManager.default.copyItem(at: lesson.media, to: renamed)
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(renamed)
        let html = HTMLReport.render(report, mediaSource: "x.wav")
        #expect(html.contains("&lt;b&gt;урок &amp; &quot;test&quot;.wav"))
        #expect(!html.contains("<b>урок"))
        #expect(!html.contains("http://") && !html.contains("https://"), "no network resources")
        #expect(html.contains("<audio"), "audio-only lessons get an audio player")
    }
}
