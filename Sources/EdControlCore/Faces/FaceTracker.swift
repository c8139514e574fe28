import Foundation

/// One face in one sampled frame, with what the models said about it.
public struct FaceObservation: Sendable {
    public var time: Double
    /// Box as fractions of the frame's width and height, so it fits any player size.
    public var box: FaceBox
    public var score: Double
    public var emotions: EmotionProbabilities
    /// How much the mouth region changed since this face's previous observation (mean
    /// absolute grey difference, 0–1); nil for a track's first observation.
    public var mouthMotion: Double?
    /// A small grey picture of the face, to tell people apart when boxes overlap.
    var appearance: [Float]
    var mouthPatch: [Float]?
}

/// A face followed across frames.
public struct FaceTrackObservations: Sendable {
    public var id: String
    public var observations: [FaceObservation]
}

/// Follows faces from frame to frame: a face continues the track whose last box it overlaps
/// most (IoU, optimal one-to-one assignment), provided it also looks like that track's face —
/// in speaker view a different person appears in the same place, and only appearance
/// tells them apart. Tracks unseen for longer than `maximumGapSeconds` end.
public struct FaceTracker: Sendable {
    public struct Settings: Codable, Sendable, Hashable {
        public var minimumOverlap = 0.3
        /// Correlation of the grey face thumbnails (1: same picture under any brightness and
        /// contrast) needed to continue a track.
        public var minimumAppearanceSimilarity = 0.5
        public var maximumGapSeconds = 3.0

        public init() {}
    }

    public let settings: Settings
    private var open: [FaceTrackObservations] = []
    private var closed: [FaceTrackObservations] = []
    private var nextID = 1

    public init(settings: Settings = Settings()) { self.settings = settings }

    public mutating func add(_ faces: [FaceObservation], at time: Double) {
        let ended = { (track: FaceTrackObservations) in time - (track.observations.last?.time ?? time) > self.settings.maximumGapSeconds }
        closed += open.filter(ended)
        open.removeAll(where: ended)
        let weights = faces.map { face in
            open.map { track -> Double in
                let last = track.observations[track.observations.count - 1]
                let overlap = face.box.intersectionOverUnion(last.box)
                guard overlap >= settings.minimumOverlap,
                      Statistics.correlation(face.appearance.map(Double.init), last.appearance.map(Double.init))
                          >= settings.minimumAppearanceSimilarity else { return 0 }
                return overlap
            }
        }
        var continued = Set<Int>()
        for (f, t) in Assignment.maximumWeight(weights) where weights[f][t] > 0 {
            var face = faces[f]
            let last = open[t].observations[open[t].observations.count - 1]
            if let now = face.mouthPatch, let before = last.mouthPatch {
                face.mouthMotion = Double(zip(now, before).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }) / Double(now.count)
            }
            open[t].observations.append(face)
            continued.insert(f)
        }
        for (f, face) in faces.enumerated() where !continued.contains(f) {
            open.append(FaceTrackObservations(id: "F\(nextID)", observations: [face]))
            nextID += 1
        }
    }

    /// Every track, in order of first appearance.
    public func finish() -> [FaceTrackObservations] {
        (closed + open).sorted { ($0.observations.first?.time ?? 0, $0.id) < ($1.observations.first?.time ?? 0, $1.id) }
    }
}
