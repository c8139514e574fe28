import Foundation

/// Finds out what a file contains before anything is decoded.
public protocol MediaProbing: Sendable {
    func probe(_ url: URL) throws -> MediaInfo
}

/// `ffprobe`-backed probe of the accepted containers (`AcceptedFormats`), with every codec
/// ffmpeg can decode.
public struct FFprobe: MediaProbing {
    let formats: AcceptedFormats

    public init(formats: AcceptedFormats = .recordings) {
        self.formats = formats
    }

    public func probe(_ url: URL) throws -> MediaInfo {
        let path = url.path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw MediaError.fileNotFound(path)
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        if size == 0 { throw MediaError.emptyFile(path) }
        try formats.check(url)

        let output = try ExternalTool(name: "ffprobe").run(["-v", "error"] + formats.commandLineOptions + [
            "-print_format", "json", "-show_format", "-show_streams", AcceptedFormats.commandLineInput(url),
        ])
        guard output.status == 0,
              let report = try? JSONDecoder().decode(ProbeReport.self, from: output.stdout),
              let format = report.format
        else {
            throw MediaError.notMedia(path, detail: Self.explain(output.stderr))
        }
        let streams = report.streams ?? []
        let audio = streams.filter { $0.codec_type == "audio" }.map {
            MediaInfo.AudioStream(codec: $0.codec_name ?? "unknown",
                                  sampleRate: Int($0.sample_rate ?? "") ?? 0,
                                  channels: $0.channels ?? 0)
        }
        // Cover art in audio files is reported as a one-frame video stream; it is not video.
        let video = streams.filter { $0.codec_type == "video" && $0.disposition?.attached_pic != 1 }.map {
            MediaInfo.VideoStream(codec: $0.codec_name ?? "unknown", width: $0.width ?? 0,
                                  height: $0.height ?? 0, framesPerSecond: Self.rate($0.avg_frame_rate),
                                  rotationDegrees: Int(($0.side_data_list ?? []).compactMap(\.rotation).first ?? 0))
        }
        if audio.isEmpty && video.isEmpty {
            throw MediaError.notMedia(path, detail: "ffprobe found no audio or video streams")
        }
        let streamDurations = streams.compactMap { Double($0.duration ?? "") }
        let duration = Double(format.duration ?? "") ?? streamDurations.max() ?? 0
        return MediaInfo(container: format.format_name ?? "unknown", durationSeconds: duration,
                         sizeBytes: size, audio: audio, video: video)
    }

    /// Turns ffprobe's last error line into a short reason a person can act on.
    static func explain(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map { String($0) }
        if lines.contains(where: { $0.contains("moov atom not found") }) {
            return "the MP4 index (moov atom) is missing: the file is probably truncated"
        }
        if lines.contains(where: { $0.contains("Invalid data found") }) {
            return "ffprobe: invalid data, the content is not a known media format"
        }
        guard let last = lines.last else { return "ffprobe could not read it" }
        // Drop ffprobe's "path: " prefix; the caller already names the file.
        if let colon = last.range(of: ": ", options: .backwards) { return String(last[colon.upperBound...]) }
        return last
    }

    static func rate(_ text: String?) -> Double {
        guard let parts = text?.split(separator: "/"), parts.count == 2,
              let num = Double(parts[0]), let den = Double(parts[1]), den > 0 else { return 0 }
        return num / den
    }

    // Field names follow ffprobe's JSON output.
    private struct ProbeReport: Decodable {
        struct Format: Decodable {
            var format_name: String?
            var duration: String?
        }
        struct Disposition: Decodable { var attached_pic: Int? }
        struct SideData: Decodable { var rotation: Double? }
        struct Stream: Decodable {
            var codec_type: String?
            var codec_name: String?
            var sample_rate: String?
            var channels: Int?
            var width: Int?
            var height: Int?
            var avg_frame_rate: String?
            var duration: String?
            var disposition: Disposition?
            var side_data_list: [SideData]?
        }
        var format: Format?
        var streams: [Stream]?
    }
}
