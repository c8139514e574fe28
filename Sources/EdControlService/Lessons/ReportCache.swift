import EdControlEngine
import EdControlReports
import EdControlStorage
import Foundation

/// Recently shown lessons' reports, decoded, as pages need them: the report's overview
/// (report-overview.json, faces' seconds averaged into chart columns), or report.json for
/// lessons analysed before overviews existed. A 3-hour lesson's report.json is 15 MB of
/// JSON and takes a quarter of a second to decode; its overview takes a few milliseconds.
/// An entry is used only while report.json is unchanged (a re-analysis replaces it), and
/// workers in the server's process hand over each report they publish.
public actor ReportCache {
    private let data: DataDirectory
    private let capacity: Int
    private var entries: [String: (modified: Date, report: LessonReport, lastUsed: UInt64)] = [:]
    private var clock: UInt64 = 0

    public init(data: DataDirectory, capacity: Int = 16) {
        self.data = data
        self.capacity = capacity
    }

    /// The overview of the lesson's latest report, or nil if it has none yet.
    package func report(of lessonID: String) -> LessonReport? {
        guard let modified = modificationDate(of: lessonID) else {
            entries[lessonID] = nil
            return nil
        }
        clock += 1
        if let entry = entries[lessonID], entry.modified == modified {
            entries[lessonID]?.lastUsed = clock
            return entry.report
        }
        let results = data.results(of: lessonID)
        let overview = results.appendingPathComponent(ReportWriter.overviewFile)
        let current = (modificationDate(of: overview)).map { $0 >= modified } ?? false
        guard let report = current ? LessonReport.read(from: overview) : data.report(of: lessonID)?.overview() else { return nil }
        keep(report, of: lessonID, modified: modified)
        return report
    }

    /// Keeps a report just published as the lesson's results.
    func published(_ report: LessonReport, of lessonID: String) {
        guard let modified = modificationDate(of: lessonID) else { return }
        clock += 1
        keep(report.overview(), of: lessonID, modified: modified)
    }

    private func keep(_ report: LessonReport, of lessonID: String, modified: Date) {
        if entries[lessonID] == nil, entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            entries[oldest.key] = nil
        }
        entries[lessonID] = (modified, report, clock)
    }

    private func modificationDate(of lessonID: String) -> Date? {
        modificationDate(of: data.results(of: lessonID).appendingPathComponent(ReportWriter.reportFile))
    }

    private func modificationDate(of file: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date
    }
}
