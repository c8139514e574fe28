import Foundation

/// How often each expression stood out on faces, each face measured against its own usual
/// expression.
///
/// The expression model reads resting faces differently from person to person (many read as
/// sad at rest), so the share of seconds in which "sad" was the likeliest emotion tells more
/// about a face than about the lesson. What counts here is what the incident rule counts: a
/// clear rise above the same face's median over the lesson.
public struct ExpressionChanges: Sendable, Equatable {
    /// Seconds with a face, over all the faces.
    public private(set) var faceSeconds = 0
    /// Seconds in which each emotion rose most, and by at least the minimum rise.
    public private(set) var standingOut: [Emotion: Int] = [:]

    /// - Parameter minimumRise: a rise in probability this large above the face's usual level
    ///   stands out (the incident rules' `minimumNegativeEmotionRise`).
    public init(_ tracks: [FaceTrack], minimumRise: Double) {
        for track in tracks {
            let seconds = track.timeline.compactMap { $0.face ? $0.emotions : nil }
            guard !seconds.isEmpty else { continue }
            let usual = Emotion.allCases.indices.map { k in Self.usualLevel(seconds.map { $0.values[k] }) }
            faceSeconds += seconds.count
            for emotions in seconds {
                let rises = zip(emotions.values, usual).map { $0 - $1 }
                if let k = rises.indices.max(by: { rises[$0] < rises[$1] }), rises[k] >= minimumRise {
                    standingOut[Emotion.allCases[k], default: 0] += 1
                }
            }
        }
    }

    /// The share of face time in which `emotion` stood out.
    public func share(_ emotion: Emotion) -> Double {
        faceSeconds > 0 ? Double(standingOut[emotion] ?? 0) / Double(faceSeconds) : 0
    }

    /// The share of face time in which no expression stood out.
    public var usualShare: Double {
        faceSeconds > 0 ? 1 - Double(standingOut.values.reduce(0, +)) / Double(faceSeconds) : 0
    }

    /// The share of face time in which a negative expression stood out; nil without a face.
    public var moreNegativeShare: Double? {
        faceSeconds > 0 ? Emotion.negative.reduce(0) { $0 + share($1) } : nil
    }

    /// A face's usual level of a probability over the lesson (the upper median), for these
    /// shares and for the facial incident rule alike. `values` must not be empty.
    static func usualLevel(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

extension LessonReport {
    /// The faces of `role`, each against its usual expression, with the report's own rules.
    public func expressionChanges(of role: SpeakerRole) -> ExpressionChanges {
        ExpressionChanges(video.tracks.filter { $0.role == role }, minimumRise: lineage.incidentRules.minimumNegativeEmotionRise)
    }
}
