import Foundation

/// WebVTT cues for a report's speaker turns and raised-voice episodes, so any video
/// player can show who speaks and when a voice was raised.
public enum WebVTT {
    public static func render(_ report: LessonReport) -> String {
        let roles = Dictionary(uniqueKeysWithValues: report.speakers.map { ($0.id, $0.role.rawValue) })
        func who(_ speaker: String) -> String { roles[speaker].map { "\(speaker) (\($0))" } ?? speaker }
        var cues: [(start: Double, end: Double, text: String)] = report.turns.map { ($0.start, $0.end, who($0.speaker)) }
        cues += report.voice.raisedVoice.map {
            ($0.start, $0.end, String(format: "⚠ Raised voice: %@, %+.0f LU above usual", who($0.speaker), $0.peakAboveBaselineLU))
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
