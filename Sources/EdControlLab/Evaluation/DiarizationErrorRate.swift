import EdControlEngine
/// Diarization error rate with NIST md-eval semantics: overlapping speech is scored,
/// a no-score collar around every reference boundary is excluded, and reference and
/// hypothesis speakers are paired one-to-one so their total co-speaking time is largest.
public struct DiarizationErrorRate: Sendable, Equatable {
    /// Scored reference speech (speaker-seconds).
    public var totalSpeech: Double
    public var missedSpeech: Double
    public var falseAlarm: Double
    public var speakerConfusion: Double
    /// Reference speaker → hypothesis speaker.
    public var mapping: [String: String]

    public var errorRate: Double { totalSpeech > 0 ? (missedSpeech + falseAlarm + speakerConfusion) / totalSpeech : 0 }

    public static func compute(reference: [SpeakerTurn], hypothesis: [SpeakerTurn], collar: Double = 0.25) -> DiarizationErrorRate {
        let noScore = collarZones(reference, collar: collar)
        var cuts = Set<Double>()
        for turn in reference + hypothesis { cuts.insert(turn.start); cuts.insert(turn.end) }
        for zone in noScore { cuts.insert(zone.start); cuts.insert(zone.end) }
        let points = cuts.sorted()

        // Elementary pieces between consecutive cuts: who is speaking in each, if scored.
        struct Piece { var duration: Double; var reference: Set<String>; var hypothesis: Set<String> }
        var pieces: [Piece] = []
        for (start, end) in zip(points, points.dropFirst()) where end > start {
            let middle = (start + end) / 2
            if noScore.contains(where: { $0.start <= middle && middle < $0.end }) { continue }
            let ref = Set(reference.filter { $0.start <= middle && middle < $0.end }.map(\.speaker))
            let hyp = Set(hypothesis.filter { $0.start <= middle && middle < $0.end }.map(\.speaker))
            if !ref.isEmpty || !hyp.isEmpty { pieces.append(Piece(duration: end - start, reference: ref, hypothesis: hyp)) }
        }

        let referenceSpeakers = Set(reference.map(\.speaker)).sorted()
        let hypothesisSpeakers = Set(hypothesis.map(\.speaker)).sorted()
        var together = [[Double]](repeating: [Double](repeating: 0, count: hypothesisSpeakers.count), count: referenceSpeakers.count)
        for piece in pieces {
            for r in piece.reference {
                for h in piece.hypothesis {
                    together[referenceSpeakers.firstIndex(of: r)!][hypothesisSpeakers.firstIndex(of: h)!] += piece.duration
                }
            }
        }
        var mapping: [String: String] = [:]
        for (r, h) in Assignment.maximumWeight(together) where together[r][h] > 0 {
            mapping[referenceSpeakers[r]] = hypothesisSpeakers[h]
        }

        var result = DiarizationErrorRate(totalSpeech: 0, missedSpeech: 0, falseAlarm: 0, speakerConfusion: 0, mapping: mapping)
        for piece in pieces {
            let nRef = Double(piece.reference.count), nHyp = Double(piece.hypothesis.count)
            let correct = Double(piece.reference.filter { mapping[$0].map(piece.hypothesis.contains) ?? false }.count)
            result.totalSpeech += piece.duration * nRef
            result.missedSpeech += piece.duration * max(0, nRef - nHyp)
            result.falseAlarm += piece.duration * max(0, nHyp - nRef)
            result.speakerConfusion += piece.duration * (min(nRef, nHyp) - correct)
        }
        return result
    }

    /// ±collar around each reference turn's start and end, merged.
    static func collarZones(_ reference: [SpeakerTurn], collar: Double) -> [TimeSpan] {
        guard collar > 0 else { return [] }
        let zones = reference.flatMap { [TimeSpan(start: $0.start - collar, end: $0.start + collar),
                                         TimeSpan(start: $0.end - collar, end: $0.end + collar)] }
            .sorted { $0.start < $1.start }
        var merged: [TimeSpan] = []
        for zone in zones {
            if let last = merged.last, zone.start <= last.end {
                merged[merged.count - 1].end = max(last.end, zone.end)
            } else {
                merged.append(zone)
            }
        }
        return merged
    }
}
