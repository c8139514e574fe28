/// One speaker talking, from `start` to `end` (seconds).
public struct SpeakerTurn: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var speaker: String

    public init(start: Double, end: Double, speaker: String) {
        self.start = start
        self.end = end
        self.speaker = speaker
    }

    public var span: TimeSpan { TimeSpan(start: start, end: end) }
    public var duration: Double { end - start }

    /// Pauses shorter than this do not end a turn: the NIST Rich Transcription convention
    /// (0.3 s), used both for our output and for the generator's ground truth.
    public static let pauseBridgeSeconds = 0.3
}

extension Array where Element == SpeakerTurn {
    /// Joins turns of one speaker separated by a pause shorter than `pause` (seconds).
    /// - Parameter acrossOtherSpeakers: join even if another speaker talks in between
    ///   (for overlapping speech, as in a reference); otherwise only consecutive turns join.
    public func joiningPauses(shorterThan pause: Double, acrossOtherSpeakers: Bool = false) -> [SpeakerTurn] {
        var result: [SpeakerTurn] = []
        for turn in sorted(by: { $0.start < $1.start }) {
            let candidate = acrossOtherSpeakers ? result.lastIndex { $0.speaker == turn.speaker } : result.indices.last
            if let index = candidate, result[index].speaker == turn.speaker, turn.start - result[index].end < pause {
                result[index].end = Swift.max(result[index].end, turn.end)
            } else {
                result.append(turn)
            }
        }
        return result
    }

    /// Where at least `speakers` people talk at once (1: anyone speaking; 2: overlapped speech).
    public func spans(withAtLeast speakers: Int) -> [TimeSpan] {
        let starts: [(time: Double, change: Int)] = map { ($0.start, 1) }
        let ends: [(time: Double, change: Int)] = map { ($0.end, -1) }
        // Ends before starts at one instant: turns that only touch do not overlap.
        let edges = (starts + ends).sorted { ($0.time, $0.change) < ($1.time, $1.change) }
        var spans: [TimeSpan] = []
        var active = 0
        for edge in edges {
            let before = active
            active += edge.change
            if before < speakers && active >= speakers {
                // One turn ending as another begins does not break the span.
                if let last = spans.last, last.end == edge.time { continue }
                spans.append(TimeSpan(start: edge.time, end: edge.time))
            } else if before >= speakers && active < speakers, !spans.isEmpty {
                spans[spans.count - 1].end = edge.time
            }
        }
        return spans.filter { $0.end > $0.start }
    }
}
