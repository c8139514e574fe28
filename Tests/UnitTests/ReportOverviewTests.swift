@testable import EdControlTestSupport
import EdControlEngine
import EdControlReports
import Foundation
import LessonSynthesis
import Testing

/// report-overview.json: what pages draw, small enough to decode at once on long lessons.
@Suite("Report overview")
struct ReportOverviewTests {
    @Test func overviewDrawsTheSameTimelineAtAFractionOfTheSize() throws {
        let lesson = try Fixtures.lesson(seed: 23, speakers: 3, duration: 60, video: true, facialEpisodes: 1)
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(lesson.media)
        try #require(!report.video.tracks.isEmpty, "the filmed lesson has faces")
        for original in [report, LongReport.stretch(report, toSeconds: 10800, incidents: 500)] {
            let overview = original.overview()
            #expect(ReportCharts.timeline(overview) == ReportCharts.timeline(original))
            #expect(overview.incidents == original.incidents && overview.turns == original.turns && overview.summary == original.summary)
            let (full, small) = (try original.jsonData().count, try overview.jsonData().count)
            if ReportCharts.duration(of: original) > 3600 {
                #expect(small * 5 < full, "overview \(small) bytes, report \(full) bytes")
            }
        }
        // The writer leaves it beside report.json, written after it.
        let out = try Fixtures.temporaryDirectory()
        try ReportWriter(directory: out).write(report, media: lesson.media)
        let written = try #require(LessonReport.read(from: out.appendingPathComponent(ReportWriter.overviewFile)))
        let expected = report.overview()
        #expect(written.video.tracks.map(\.timeline.count) == expected.video.tracks.map(\.timeline.count))
        // JSON keeps probabilities to three decimals.
        let read: [Double] = written.video.tracks.flatMap(\.timeline).flatMap { $0.emotions?.values ?? [] }
        let computed: [Double] = expected.video.tracks.flatMap(\.timeline).flatMap { $0.emotions?.values ?? [] }
        #expect(read.count == computed.count && !read.isEmpty)
        let difference = zip(read, computed).map { abs($0 - $1) }.max() ?? 1
        #expect(difference <= 0.0005)
        let modified = { (name: String) in try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(name).path)[.modificationDate] as! Date }
        #expect(try modified(ReportWriter.overviewFile) >= modified(ReportWriter.reportFile))
    }
}
