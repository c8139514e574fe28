import EdControlCore
import Foundation

/// Where the embedded service keeps everything: the SQLite database, uploads being
/// received, and per lesson its recording and the analysis results.
///
///     DIR/edcontrol.sqlite
///     DIR/metrics.token                       (the operator's token for /metrics, readable by the owner only)
///     DIR/uploads/<uuid>.part                 (an upload in progress)
///     DIR/lessons/<lesson id>/recording.<ext>
///     DIR/lessons/<lesson id>/results/        (report.json, diarization.rttm, timeline.vtt, incidents.csv, report.html)
///     DIR/lessons/<lesson id>/results-<job>/  (a job's results before they replace the previous ones)
///     DIR/lessons/<lesson id>/shadow/<configuration>/report.json  (a shadow run's report, never shown to the school)
public struct DataDirectory: Sendable {
    public let root: URL

    public init(_ root: URL) throws {
        self.root = root.standardizedFileURL
        for directory in [self.root, uploads, lessons] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
    }

    public var database: URL { root.appendingPathComponent("edcontrol.sqlite") }
    public var uploads: URL { root.appendingPathComponent("uploads") }
    var lessons: URL { root.appendingPathComponent("lessons") }

    public func lessonDirectory(_ lessonID: String) -> URL { lessons.appendingPathComponent(lessonID) }
    public func results(of lessonID: String) -> URL { lessonDirectory(lessonID).appendingPathComponent("results") }
    func pendingResults(of lessonID: String, job jobID: String) -> URL { lessonDirectory(lessonID).appendingPathComponent("results-\(jobID)") }
    func shadowResults(of lessonID: String, challenger: String) -> URL {
        lessonDirectory(lessonID).appendingPathComponent("shadow").appendingPathComponent(challenger)
    }
    /// The lesson's latest report, if it has been analysed.
    func report(of lessonID: String) -> LessonReport? {
        LessonReport.read(from: results(of: lessonID).appendingPathComponent(ReportWriter.reportFile))
    }

    /// The installation's token for `/metrics`, made on first use. Metrics cover every
    /// school, so a school's own tokens do not open them; the operator's scraper sends this.
    public func metricsToken() throws -> String {
        let file = root.appendingPathComponent("metrics.token")
        if let token = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            return token
        }
        var random = SystemRandomNumberGenerator()
        let token = "edm_" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
        guard FileManager.default.createFile(atPath: file.path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: file.path])
        }
        return token
    }

    public func recording(of lesson: Lesson) -> URL? { lesson.mediaFile.map { lessonDirectory(lesson.id).appendingPathComponent($0) } }

    /// Makes a job's results the lesson's results. They sit beside the recording like the
    /// old ones, so report.html's relative link to the recording stays valid.
    func publish(_ pending: URL, lessonID: String) throws {
        try replace(results(of: lessonID), with: pending)
    }

    /// Makes a shadow job's results the challenger's results for the lesson.
    func publishShadow(_ pending: URL, lessonID: String, challenger: String) throws {
        let results = shadowResults(of: lessonID, challenger: challenger)
        try FileManager.default.createDirectory(at: results.deletingLastPathComponent(), withIntermediateDirectories: true)
        try replace(results, with: pending)
    }

    private func replace(_ results: URL, with pending: URL) throws {
        try? FileManager.default.removeItem(at: results)
        try FileManager.default.moveItem(at: pending, to: results)
    }
}
