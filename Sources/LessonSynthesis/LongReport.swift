import EdControlEngine
import EdControlReports
import Foundation

/// A long, busy lesson's report made from a real one, for load tests of what shows
/// reports (the dashboard must stay fast on a 3-hour lesson with hundreds of incidents):
/// the report's turns, faces' seconds and voice turns repeated back to back until the
/// target length, and its incidents repeated (spread evenly) until the target count.
public enum LongReport {
    public static func stretch(_ report: LessonReport, toSeconds target: Double, incidents count: Int) -> LessonReport {
        let period = ReportCharts.duration(of: report)
        let copies = Int((target / period).rounded(.up))
        func repeated<T>(_ items: [T], shift: (T, Double) -> T?) -> [T] {
            (0..<copies).flatMap { copy in items.compactMap { shift($0, Double(copy) * period) } }
        }
        var long = report
        long.turns = repeated(report.turns) { turn, offset in
            turn.start + offset < target ? SpeakerTurn(start: turn.start + offset, end: min(turn.end + offset, target), speaker: turn.speaker) : nil
        }
        long.voice.turns = repeated(report.voice.turns) { turn, offset in
            var moved = turn
            moved.start += offset
            moved.end += offset
            return moved.start < target ? moved : nil
        }
        long.video.tracks = report.video.tracks.map { track in
            var moved = track
            moved.timeline = (0..<copies).flatMap { copy in
                track.timeline.compactMap { second in
                    var shifted = second
                    shifted.t += copy * Int(period.rounded())
                    return Double(shifted.t) < target ? shifted : nil
                }
            }
            moved.lastSeen = Double(moved.timeline.last?.t ?? 0)
            moved.secondsWithFace = moved.timeline.filter(\.face).count
            return moved
        }
        if !report.incidents.isEmpty {
            let spacing = target / Double(count)
            long.incidents = (0..<count).map { index in
                var incident = report.incidents[index % report.incidents.count]
                let length = min(incident.end - incident.start, spacing * 0.8)
                incident.start = Double(index) * spacing
                incident.end = incident.start + length
                return incident
            }
        }
        long.talkMetrics.durationSeconds = target
        long.input.analysedAudioSeconds = target
        long.input.media.durationSeconds = target
        return long
    }
}
