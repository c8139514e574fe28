import EdControlEngine
/// DER over a corpus: each recording's score and the summary a benchmark reports.
public struct DiarizationCorpusScore: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var id: String
        /// Scored reference speech, seconds.
        public var scoredSeconds: Double
        /// Shares of the scored speech, 0–1.
        public var der: Double
        public var missed: Double
        public var falseAlarm: Double
        public var confusion: Double
        public var referenceSpeakers: Int
        public var hypothesisSpeakers: Int
    }

    public struct Summary: Codable, Sendable {
        public var items: Int
        public var meanDER: Double
        public var medianDER: Double
        /// All items' errors over all items' scored speech (long recordings weigh more).
        public var timeWeightedDER: Double
        public var countExact: Int
        public var countExactShare: Double
        /// Overlapped speech (two or more people at once) found, 10-ms frames of all items pooled.
        public var overlapDetection: OverlapDetection
    }

    public struct OverlapDetection: Codable, Sendable {
        public var precision: Double
        public var recall: Double
        public var referenceSeconds: Double

        init(_ frames: VoiceActivityScore) {
            precision = frames.precision
            recall = frames.recall
            referenceSeconds = Double(frames.truePositiveFrames + frames.falseNegativeFrames) / 100
        }
    }

    public var collarSeconds: Double
    public var items: [Item]
    public var summary: Summary

    /// - Parameter pairs: (id, reference turns, hypothesis turns) for each recording.
    public static func compute(_ pairs: [(id: String, reference: [SpeakerTurn], hypothesis: [SpeakerTurn])],
                               collar: Double = 0.25) -> DiarizationCorpusScore {
        var errors = 0.0, scored = 0.0
        var overlap = VoiceActivityScore.empty
        let items = pairs.map { pair -> Item in
            overlap = overlap + VoiceActivityScore.compute(reference: pair.reference.spans(withAtLeast: 2),
                                                           hypothesis: pair.hypothesis.spans(withAtLeast: 2))
            let score = DiarizationErrorRate.compute(reference: pair.reference, hypothesis: pair.hypothesis, collar: collar)
            errors += score.missedSpeech + score.falseAlarm + score.speakerConfusion
            scored += score.totalSpeech
            func share(_ seconds: Double) -> Double { score.totalSpeech > 0 ? seconds / score.totalSpeech : 0 }
            return Item(id: pair.id, scoredSeconds: score.totalSpeech, der: score.errorRate, missed: share(score.missedSpeech),
                        falseAlarm: share(score.falseAlarm), confusion: share(score.speakerConfusion),
                        referenceSpeakers: Set(pair.reference.map(\.speaker)).count,
                        hypothesisSpeakers: Set(pair.hypothesis.map(\.speaker)).count)
        }
        let sorted = items.map(\.der).sorted()
        let median = sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        let exact = items.filter { $0.referenceSpeakers == $0.hypothesisSpeakers }.count
        return DiarizationCorpusScore(
            collarSeconds: collar, items: items,
            summary: Summary(items: items.count, meanDER: items.isEmpty ? 0 : sorted.reduce(0, +) / Double(items.count),
                             medianDER: median, timeWeightedDER: scored > 0 ? errors / scored : 0, countExact: exact,
                             countExactShare: items.isEmpty ? 0 : Double(exact) / Double(items.count),
                             overlapDetection: OverlapDetection(overlap)))
    }
}
