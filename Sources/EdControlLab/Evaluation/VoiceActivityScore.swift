import EdControlEngine
/// Frame-level speech/non-speech agreement between a reference and a hypothesis.
public struct VoiceActivityScore: Sendable, Equatable {
    public var truePositiveFrames: Int
    public var falsePositiveFrames: Int
    public var falseNegativeFrames: Int
    public var trueNegativeFrames: Int

    public var precision: Double { ratio(truePositiveFrames, truePositiveFrames + falsePositiveFrames) }
    public var recall: Double { ratio(truePositiveFrames, truePositiveFrames + falseNegativeFrames) }
    public var f1: Double { precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0 }

    private func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }

    /// - Parameters:
    ///   - duration: the scored length; defaults to the later end of both.
    ///   - frame: frame length in seconds (a frame is speech if its centre is inside a span).
    public static func compute(reference: [TimeSpan], hypothesis: [TimeSpan], duration: Double? = nil,
                               frame: Double = 0.01) -> VoiceActivityScore {
        let end = duration ?? max(reference.map(\.end).max() ?? 0, hypothesis.map(\.end).max() ?? 0)
        let count = Int((end / frame).rounded(.up))
        let ref = mask(reference, count: count, frame: frame)
        let hyp = mask(hypothesis, count: count, frame: frame)
        var score = VoiceActivityScore(truePositiveFrames: 0, falsePositiveFrames: 0, falseNegativeFrames: 0, trueNegativeFrames: 0)
        for i in 0..<count {
            switch (ref[i], hyp[i]) {
            case (true, true): score.truePositiveFrames += 1
            case (false, true): score.falsePositiveFrames += 1
            case (true, false): score.falseNegativeFrames += 1
            case (false, false): score.trueNegativeFrames += 1
            }
        }
        return score
    }

    private static func mask(_ spans: [TimeSpan], count: Int, frame: Double) -> [Bool] {
        var mask = [Bool](repeating: false, count: count)
        for span in spans {
            // Frames whose centre (i + 0.5)·frame lies in [start, end).
            let first = max(0, Int((span.start / frame - 0.5).rounded(.up)))
            let last = min(count - 1, Int((span.end / frame - 0.5).rounded(.up)) - 1)
            if first <= last { for i in first...last { mask[i] = true } }
        }
        return mask
    }
}

extension VoiceActivityScore {
    /// No frames yet: the start of a pooled score.
    public static let empty = VoiceActivityScore(truePositiveFrames: 0, falsePositiveFrames: 0, falseNegativeFrames: 0, trueNegativeFrames: 0)

    /// Frames of two scores pooled (a corpus's score is its recordings' frames together).
    public static func + (a: VoiceActivityScore, b: VoiceActivityScore) -> VoiceActivityScore {
        VoiceActivityScore(truePositiveFrames: a.truePositiveFrames + b.truePositiveFrames,
                           falsePositiveFrames: a.falsePositiveFrames + b.falsePositiveFrames,
                           falseNegativeFrames: a.falseNegativeFrames + b.falseNegativeFrames,
                           trueNegativeFrames: a.trueNegativeFrames + b.trueNegativeFrames)
    }
}
