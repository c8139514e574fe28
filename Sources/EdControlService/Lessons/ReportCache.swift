import EdControlEngine
import EdControlReports
import EdControlStorage
import Foundation

/// Recently shown lessons' reports, decoded, as pages need them: the report's overview
/// (report-overview.json, faces' seconds averaged into chart columns), or report.json for
/// lessons analysed before overviews existed. A 3-hour lesson's report.json is 15 MB of
/// JSON and takes a quarter of a second to decode; its overview takes a few milliseconds.
/// An entry is used only while the lesson names the same set of results and its report.json
/// is unchanged, and workers in the server's process hand over each report they publish.
public actor ReportCache {
    private struct Version: Equatable {
        var results: FileName
        var modified: Date
    }

    private let files: any LessonFiles
    private let capacity: Int
    private var entries: [String: (version: Version, report: LessonReport, lastUsed: UInt64)] = [:]
    private var clock: UInt64 = 0

    public init(files: any LessonFiles, capacity: Int = 16) {
        self.files = files
        self.capacity = capacity
    }

    /// The overview of the lesson's latest report, or nil if it has none yet.
    package func report(of lesson: Lesson) async -> LessonReport? {
        guard let version = await version(of: lesson) else {
            entries[lesson.id] = nil
            return nil
        }
        clock += 1
        if let entry = entries[lesson.id], entry.version == version {
            entries[lesson.id]?.lastUsed = clock
            return entry.report
        }
        guard let report = await files.overview(of: lesson) else { return nil }
        keep(report, of: lesson.id, version: version)
        return report
    }

    /// Keeps a report just published as the lesson's results (`lesson` names them).
    func published(_ report: LessonReport, of lesson: Lesson) async {
        guard let version = await version(of: lesson) else { return }
        clock += 1
        keep(report.overview(), of: lesson.id, version: version)
    }

    private func keep(_ report: LessonReport, of lessonID: String, version: Version) {
        if entries[lessonID] == nil, entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            entries[oldest.key] = nil
        }
        entries[lessonID] = (version, report, clock)
    }

    private func version(of lesson: Lesson) async -> Version? {
        guard lesson.analysedAt != nil, let results = try? FileName.results(of: lesson),
              let report = try? await files.info(results.appending(ReportWriter.reportFile)) else { return nil }
        return Version(results: results, modified: report.modified)
    }
}
