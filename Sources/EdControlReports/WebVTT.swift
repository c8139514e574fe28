import EdControlEngine
import Foundation

/// WebVTT cues for a report's speaker turns and incidents, so any video player can show
/// who speaks and when something happened.
public enum WebVTT {
    public static func render(_ report: LessonReport) -> String {
        let roles = Dictionary(uniqueKeysWithValues: report.speakers.map { ($0.id, $0.role.rawValue) })
        func who(_ speaker: String) -> String { roles[speaker].map { "\(speaker) (\($0))" } ?? speaker }
        var cues: [(start: Double, end: Double, text: String)] = report.turns.map { ($0.start, $0.end, who($0.speaker)) }
        cues += report.incidents.map {
            ($0.start, $0.end, String(format: "⚠ Incident (%@, intensity %.2f): %@", who($0.person), $0.peakIntensity, $0.evidence.joined(separator: "; ")))
        }
        cues.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var text = "WEBVTT\n\n"
        for (index, cue) in cues.enumerated() {
            text += "\(index + 1)\n\(timestamp(cue.start)) --> \(timestamp(cue.end))\n\(cue.text)\n\n"
        }
        return text
    }

    /// hh:mm:ss.ttt, as WebVTT requires.
    static func timestamp(_ seconds: Double) -> String {
        let milliseconds = Int((max(0, seconds) * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", milliseconds / 3_600_000, milliseconds / 60_000 % 60,
                      milliseconds / 1000 % 60, milliseconds % 1000)
    }
}
