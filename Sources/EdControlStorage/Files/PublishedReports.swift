import EdControlEngine
import EdControlReports
import Foundation

// A lesson's published report, read from the set of results its row names.
extension LessonFiles {
    /// The lesson's report (report.json of its published results), if it has one that reads.
    package func report(of lesson: Lesson) async -> LessonReport? {
        guard lesson.analysedAt != nil, let name = try? FileName.results(of: lesson).appending(ReportWriter.reportFile),
              let data = try? await contents(of: name) else { return nil }
        return try? JSONDecoder().decode(LessonReport.self, from: data)
    }

    /// The report's overview, for pages: report-overview.json, or, for lessons analysed
    /// before overviews were written (or with one older than report.json), worked out from
    /// report.json.
    package func overview(of lesson: Lesson) async -> LessonReport? {
        guard lesson.analysedAt != nil, let results = try? FileName.results(of: lesson),
              let report = try? await info(results.appending(ReportWriter.reportFile)) else { return nil }
        if let overview = try? await info(results.appending(ReportWriter.overviewFile)), overview.modified >= report.modified,
           let data = try? await contents(of: overview.name), let decoded = try? JSONDecoder().decode(LessonReport.self, from: data) {
            return decoded
        }
        return await self.report(of: lesson)?.overview()
    }
}
