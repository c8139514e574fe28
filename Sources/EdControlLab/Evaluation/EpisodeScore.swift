import EdControlEngine
/// Detection of time episodes (raised voice, incidents): a hypothesis episode is a hit
/// when it is paired one-to-one with a reference episode it overlaps with temporal
/// IoU ≥ `minimumIoU` (pairs chosen to maximise total IoU). Speakers are not compared.
public struct EpisodeScore: Sendable, Equatable {
    public var referenceCount: Int
    public var hypothesisCount: Int
    public var matched: Int

    public var precision: Double { hypothesisCount > 0 ? Double(matched) / Double(hypothesisCount) : (referenceCount == 0 ? 1 : 0) }
    public var recall: Double { referenceCount > 0 ? Double(matched) / Double(referenceCount) : 1 }
    public var f1: Double { precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0 }

    public static func compute(reference: [TimeSpan], hypothesis: [TimeSpan], minimumIoU: Double = 0.5) -> EpisodeScore {
        EpisodeScore(referenceCount: reference.count, hypothesisCount: hypothesis.count,
                     matched: pairs(reference: reference, hypothesis: hypothesis, minimumIoU: minimumIoU).count)
    }

    /// The one-to-one pairs (reference index, hypothesis index) that count as hits.
    public static func pairs(reference: [TimeSpan], hypothesis: [TimeSpan], minimumIoU: Double = 0.5) -> [(reference: Int, hypothesis: Int)] {
        let iou = reference.map { ref in
            hypothesis.map { hyp in
                let intersection = ref.overlap(with: hyp)
                let union = ref.duration + hyp.duration - intersection
                return union > 0 ? intersection / union : 0
            }
        }
        return Assignment.maximumWeight(iou).filter { iou[$0.0][$0.1] >= minimumIoU }.map { (reference: $0.0, hypothesis: $0.1) }
    }
}
