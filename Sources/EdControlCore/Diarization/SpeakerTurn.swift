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
}

/// A speech segment with the speaker label of each of its embedding windows.
public struct LabelledSegment: Sendable {
    public var span: TimeSpan
    public var windows: [WindowEmbedding]
    public var labels: [Int]
}

/// Cuts speech segments into speaker turns where the window labels change.
public enum SpeakerTurnBuilder {
    public static func turns(from segments: [LabelledSegment], speakerName: (Int) -> String) -> [SpeakerTurn] {
        var turns: [SpeakerTurn] = []
        for segment in segments where !segment.windows.isEmpty {
            let labels = smoothed(segment.labels)
            // A change between two windows is placed midway between their centres.
            var start = segment.span.start
            for i in 1..<max(1, labels.count) where labels[i] != labels[i - 1] {
                let boundary = (centre(segment.windows[i - 1].span) + centre(segment.windows[i].span)) / 2
                turns.append(SpeakerTurn(start: start, end: boundary, speaker: speakerName(labels[i - 1])))
                start = boundary
            }
            turns.append(SpeakerTurn(start: start, end: segment.span.end, speaker: speakerName(labels.last!)))
        }
        return turns.joiningPauses(shorterThan: SpeakerTurn.pauseBridgeSeconds)
    }

    /// A lone window whose neighbours agree with each other is taken to be noise.
    static func smoothed(_ labels: [Int]) -> [Int] {
        guard labels.count >= 3 else { return labels }
        var result = labels
        for i in 1..<(labels.count - 1) where labels[i - 1] == labels[i + 1] && labels[i] != labels[i - 1] {
            result[i] = labels[i - 1]
        }
        return result
    }

    private static func centre(_ span: TimeSpan) -> Double { (span.start + span.end) / 2 }
}
