import EdControlEngine
import Foundation

/// A report's transcript as plain text and as captions (WebVTT with voice tags naming the
/// speaker, SRT), which any video player can show under the lesson.
public enum TranscriptFiles {
    public static func text(_ transcript: Transcript) -> String {
        transcript.segments.map { "[\(clock($0.start))] \(who($0)): \($0.text)" }.joined(separator: "\n") + "\n"
    }

    public static func webVTT(_ transcript: Transcript) -> String {
        "WEBVTT\n\n" + transcript.segments.enumerated().map { index, segment in
            // Inside a voice tag '<', '>' and '&' must be escaped.
            "\(index + 1)\n\(WebVTT.timestamp(segment.start)) --> \(WebVTT.timestamp(segment.end))\n<v \(escaped(who(segment)))>\(escaped(segment.text))\n"
        }.joined(separator: "\n")
    }

    public static func srt(_ transcript: Transcript) -> String {
        transcript.segments.enumerated().map { index, segment in
            let times = [segment.start, segment.end].map { WebVTT.timestamp($0).replacingOccurrences(of: ".", with: ",") }
            return "\(index + 1)\n\(times[0]) --> \(times[1])\n\(who(segment)): \(segment.text)\n"
        }.joined(separator: "\n")
    }

    /// "S1 (teacher)", or "unknown speaker" for words outside every turn.
    static func who(_ segment: TranscriptSegment) -> String {
        guard let speaker = segment.speaker else { return "unknown speaker" }
        return segment.role.map { "\(speaker) (\($0.rawValue))" } ?? speaker
    }

    /// h:mm:ss
    static func clock(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds))
        return String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
