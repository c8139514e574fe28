import EdControlCore
import Foundation

/// Recently shown lessons' reports, decoded. A 3-hour lesson's report.json is megabytes of
/// JSON; decoding it for every page view would take most of a page's time budget. An entry
/// is used only while the file on disk is unchanged (a re-analysis replaces it). Workers in
/// the server's process hand over each report they publish, so even the first view of a
/// long lesson need not decode it.
public actor ReportCache {
    private let data: DataDirectory
    private let capacity: Int
    private var entries: [String: (modified: Date, report: LessonReport, lastUsed: UInt64)] = [:]
    private var clock: UInt64 = 0

    public init(data: DataDirectory, capacity: Int = 16) {
        self.data = data
        self.capacity = capacity
    }

    /// The lesson's latest report, or nil if it has none yet.
    func report(of lessonID: String) -> LessonReport? {
        guard let modified = modificationDate(of: lessonID) else {
            entries[lessonID] = nil
            return nil
        }
        clock += 1
        if let entry = entries[lessonID], entry.modified == modified {
            entries[lessonID]?.lastUsed = clock
            return entry.report
        }
        guard let report = data.report(of: lessonID) else { return nil }
        keep(report, of: lessonID, modified: modified)
        return report
    }

    /// Keeps a report just published as the lesson's results.
    func published(_ report: LessonReport, of lessonID: String) {
        guard let modified = modificationDate(of: lessonID) else { return }
        clock += 1
        keep(report, of: lessonID, modified: modified)
    }

    private func keep(_ report: LessonReport, of lessonID: String, modified: Date) {
        if entries[lessonID] == nil, entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            entries[oldest.key] = nil
        }
        entries[lessonID] = (modified, report, clock)
    }

    private func modificationDate(of lessonID: String) -> Date? {
        let file = data.results(of: lessonID).appendingPathComponent(ReportWriter.reportFile)
        return (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date
    }
}
