import Foundation

/// One face in one sampled frame, with what the models said about it.
public struct FaceObservation: Sendable {
    public var time: Double
    /// Box as fractions of the frame's width and height, so it fits any player size.
    public var box: FaceBox
    public var score: Double
    public var emotions: EmotionProbabilities
    /// How much more the mouth region changed than the eyes' since this face's previous
    /// observation (mean absolute grey difference, 0–1); nil for a track's first observation.
    public var mouthMotion: Double?
    /// Grey pictures of the mouth and of the whole face; the tracker uses them and drops
    /// them, so a long lesson's tracks hold only numbers.
    var mouthPatch: [Float]?
    var thumbnail: [Float]

    var withoutPictures: FaceObservation {
        var copy = self
        copy.mouthPatch = nil
        copy.thumbnail = []
        return copy
    }
}

/// A face followed across frames.
public struct FaceTrackObservations: Sendable {
    public var id: String
    public var observations: [FaceObservation]
    /// The latest observation with its pictures, and the sum of the face thumbnails (to
    /// recognise the person in a later shot).
    fileprivate var latest: FaceObservation
    fileprivate var thumbnailSum: [Double]

    fileprivate init(id: String, first: FaceObservation) {
        self.id = id
        observations = [first.withoutPictures]
        latest = first
        thumbnailSum = first.thumbnail.map(Double.init)
    }

    fileprivate mutating func append(_ observation: FaceObservation) {
        observations.append(observation.withoutPictures)
        latest = observation
        for (i, value) in observation.thumbnail.enumerated() where i < thumbnailSum.count { thumbnailSum[i] += Double(value) }
    }

    fileprivate var meanThumbnail: [Double] { thumbnailSum.map { $0 / Double(observations.count) } }
}

/// Follows faces from frame to frame: within a shot, a face continues the track whose last
/// box it overlaps most (IoU, optimal one-to-one assignment). A shot cut — the whole picture
/// changing at once, as when speaker view switches to another person who then sits in the
/// same place — ends every track; a face changing expression in its tile does not.
/// Tracks unseen for longer than `maximumGapSeconds` end too.
public struct FaceTracker: Sendable {
    public struct Settings: Codable, Sendable, Hashable {
        public var minimumOverlap = 0.3
        /// Mean grey-level change (0–1) of the whole picture between two sampled frames that
        /// counts as a shot cut.
        public var shotCutChange = 0.12
        public var maximumGapSeconds = 3.0
        /// Tracks never on screen together whose face thumbnails correlate this much are one
        /// person seen in several shots (speaker view cutting back to someone).
        public var samePersonSimilarity = 0.6

        public init() {}
    }

    public let settings: Settings
    private var open: [FaceTrackObservations] = []
    private var closed: [FaceTrackObservations] = []
    private var nextID = 1

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// - Parameter pictureChange: mean grey-level change of the whole frame since the previous one.
    public mutating func add(_ faces: [FaceObservation], at time: Double, pictureChange: Double) {
        let ended = { (track: FaceTrackObservations) in
            pictureChange >= self.settings.shotCutChange || time - track.latest.time > self.settings.maximumGapSeconds
        }
        closed += open.filter(ended)
        open.removeAll(where: ended)
        let weights = faces.map { face in
            open.map { track -> Double in
                let overlap = face.box.intersectionOverUnion(track.latest.box)
                return overlap >= settings.minimumOverlap ? overlap : 0
            }
        }
        var continued = Set<Int>()
        for (f, t) in Assignment.maximumWeight(weights) where weights[f][t] > 0 {
            var face = faces[f]
            let last = open[t].latest
            if let now = face.mouthPatch, let before = last.mouthPatch {
                // Less the change around the eyes (top two fifths of the face): what moves the
                // whole face — turning, light, a new expression — is not speech.
                let eyes = face.thumbnail.count * 2 / 5
                let wholeFace = FaceAnalyzer.meanChange(Array(face.thumbnail.prefix(eyes)), Array(last.thumbnail.prefix(eyes)))
                face.mouthMotion = max(0, FaceAnalyzer.meanChange(now, before) - wholeFace)
            }
            open[t].append(face)
            continued.insert(f)
        }
        for (f, face) in faces.enumerated() where !continued.contains(f) {
            open.append(FaceTrackObservations(id: "F\(nextID)", first: face))
            nextID += 1
        }
    }

    /// Every person's track, in order of first appearance: the shots' tracks, with those
    /// that show the same person joined.
    public func finish() -> [FaceTrackObservations] {
        let shots = (closed + open).sorted { ($0.observations.first?.time ?? 0, $0.id) < ($1.observations.first?.time ?? 0, $1.id) }
        var people: [(track: FaceTrackObservations, thumbnails: [[Double]])] = []
        for shot in shots {
            let thumbnail = shot.meanThumbnail
            let start = shot.observations.first?.time ?? 0, end = shot.observations.last?.time ?? 0
            let match = people.indices.filter { index in
                people[index].track.observations.allSatisfy { $0.time < start || $0.time > end }
            }.map { index in (index, people[index].thumbnails.map { Statistics.correlation($0, thumbnail) }.max() ?? 0) }
                .max { $0.1 < $1.1 }
            if let (index, similarity) = match, similarity >= settings.samePersonSimilarity {
                people[index].track.observations = (people[index].track.observations + shot.observations).sorted { $0.time < $1.time }
                people[index].thumbnails.append(thumbnail)
            } else {
                people.append((shot, [thumbnail]))
            }
        }
        return people.map(\.track)
    }
}
