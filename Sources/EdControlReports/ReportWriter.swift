import EdControlEngine
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
    public static let htmlFile = "report.html"
    public static let incidentsFile = "incidents.csv"
    public static let transcriptTextFile = "transcript.txt"
    public static let transcriptVTTFile = "transcript.vtt"
    public static let transcriptSRTFile = "transcript.srt"
    public static var transcriptFiles: [String] { [transcriptTextFile, transcriptVTTFile, transcriptSRTFile] }
    /// The report's `overview()`, for pages. Written after report.json, from which it is
    /// derived: one older than report.json is stale.
    public static let overviewFile = "report-overview.json"

    /// - Parameters:
    ///   - media: the analysed recording, from which the face pictures are cut.
    ///   - mediaSource: the address report.html's player plays; nil gives `media`'s path
    ///     relative to the folder (a report written beside its recording, by `analyze`).
    public func write(_ report: LessonReport, media: URL, mediaSource: String? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let recording = (report.input.file as NSString).deletingPathExtension
        try place(Data(RTTM.render(report.turns, recordingID: recording).utf8), as: Self.rttmFile)
        try place(Data(WebVTT.render(report).utf8), as: Self.vttFile)
        try place(Data(IncidentsCSV.render(report.incidents).utf8), as: Self.incidentsFile)
        try place(Data(HTMLReport.render(report, mediaSource: mediaSource ?? Self.relativePath(from: directory, to: media)).utf8), as: Self.htmlFile)
        try FaceThumbnails.write(report.video.tracks, from: media, into: directory)
        if let transcript = report.transcript, transcript.analysed {
            try place(Data(TranscriptFiles.text(transcript).utf8), as: Self.transcriptTextFile)
            try place(Data(TranscriptFiles.webVTT(transcript).utf8), as: Self.transcriptVTTFile)
            try place(Data(TranscriptFiles.srt(transcript).utf8), as: Self.transcriptSRTFile)
        } else {
            // An earlier analysis's transcript must not pass for this one's.
            for name in Self.transcriptFiles { try? FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
        }
        // report.json last: its presence means the whole output is complete.
        try place(report.jsonData(), as: Self.reportFile)
        try place(report.overview().jsonData(), as: Self.overviewFile)
    }

    /// Writes report.json alone.
    public func writeReport(_ report: LessonReport) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try place(report.jsonData(), as: Self.reportFile)
    }

    /// `to` as seen from `directory`, so the page keeps working when both move together.
    static func relativePath(from directory: URL, to file: URL) -> String {
        let base = directory.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let target = file.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let common = zip(base, target).prefix { $0 == $1 }.count
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        return parts.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }.joined(separator: "/")
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
