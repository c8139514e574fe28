import Foundation

/// Writes a report's files into an output directory. Each file is written under a
/// temporary name and renamed into place, so a failed run never leaves a file that
/// looks complete.
public struct ReportWriter: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public static let reportFile = "report.json"
    public static let rttmFile = "diarization.rttm"
    public static let vttFile = "timeline.vtt"

    public func write(_ report: LessonReport) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let recording = (report.input.file as NSString).deletingPathExtension
        try place(Data(RTTM.render(report.turns, recordingID: recording).utf8), as: Self.rttmFile)
        try place(Data(WebVTT.render(report).utf8), as: Self.vttFile)
        // report.json last: its presence means the whole output is complete.
        try place(report.jsonData(), as: Self.reportFile)
    }

    private func place(_ data: Data, as name: String) throws {
        let target = directory.appendingPathComponent(name)
        let partial = directory.appendingPathComponent(".\(name).partial")
        try data.write(to: partial)
        // rename(2) replaces the target atomically.
        guard rename(partial.path, target.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
    }
}
