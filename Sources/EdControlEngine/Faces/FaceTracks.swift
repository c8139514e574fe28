import Foundation

/// One second of a face track.
public struct FaceSecond: Codable, Sendable, Equatable {
    /// Start of the second, from the start of the recording.
    public var t: Int
    /// False when the face was not found in this second's frames; box and emotions are then absent.
    public var face: Bool
    /// [x, y, width, height] as fractions of the picture.
    public var box: [Double]?
    /// Smoothed probabilities, in `Emotion.allCases` order.
    public var emotions: EmotionProbabilities?
    /// Mean mouth-region change in this second (0–1).
    public var mouthMotion: Double?

    public init(t: Int, face: Bool, box: [Double]? = nil, emotions: EmotionProbabilities? = nil, mouthMotion: Double? = nil) {
        (self.t, self.face, self.box, self.emotions, self.mouthMotion) = (t, face, box, emotions, mouthMotion)
    }
}

/// A face followed through the lesson, with who it is and how it looked.
public struct FaceTrack: Codable, Sendable, Equatable {
    public var id: String
    public var role: SpeakerRole
    public var roleConfidence: Double
    /// The diarized speaker this face belongs to, when the evidence allows saying so.
    public var speaker: String?
    /// Why the track is (or is not) linked to a speaker.
    public var link: String
    public var firstSeen: Double
    public var lastSeen: Double
    public var secondsWithFace: Int
    /// Share of the face's seconds in which each emotion was the most likely one.
    public var emotionShares: [String: Double]
    public var timeline: [FaceSecond]
}

/// The video part of a report.
public struct VideoReport: Codable, Sendable, Equatable {
    public var analysed: Bool
    /// Why the video was not analysed (audio-only recording, for example).
    public var note: String?
    public var framesPerSecond: Double
    public var sampledFrames: Int
    public var framesWithFaces: Int
    public var mostFacesInAFrame: Int
    public var tracks: [FaceTrack]

    public static func notAnalysed(_ note: String) -> VideoReport {
        VideoReport(analysed: false, note: note, framesPerSecond: 0, sampledFrames: 0, framesWithFaces: 0, mostFacesInAFrame: 0, tracks: [])
    }

    public var faceShare: Double { sampledFrames > 0 ? Double(framesWithFaces) / Double(sampledFrames) : 0 }
}

/// Turns tracked observations into per-second timelines and links faces to speakers.
public struct FaceTimelineBuilder: Sendable {
    public struct Settings: Codable, Sendable, Hashable {
        /// Emotions are averaged over a centred window this long (seconds with a face only).
        public var smoothingSeconds = 3
        /// Tracks seen in fewer seconds than this are dropped as detector noise.
        public var minimumTrackSeconds = 2
        /// A face is linked to a speaker when their evidence (correlation, −1…1) reaches this…
        public var minimumLinkEvidence = 0.3
        /// …and beats every other speaker's by this much.
        public var minimumLinkMargin = 0.1

        public init() {}
    }

    public let settings: Settings

    public init(settings: Settings = Settings()) { self.settings = settings }

    public func tracks(_ seen: [FaceTrackObservations], turns: [SpeakerTurn], speakers: [Speaker], durationSeconds: Double) -> [FaceTrack] {
        let timelines = seen.map { (id: $0.id, seconds: smoothed(perSecond($0.observations))) }
            .filter { $0.seconds.filter(\.face).count >= settings.minimumTrackSeconds }
        let seconds = max(Int(durationSeconds.rounded(.up)), (timelines.compactMap { $0.seconds.last?.t }.max() ?? -1) + 1)
        let talking = Dictionary(uniqueKeysWithValues: speakers.map { speaker in
            (speaker.id, Self.talkingPerSecond(turns.filter { $0.speaker == speaker.id }, seconds: seconds))
        })
        let links = link(timelines.map(\.seconds), talking: talking, speakers: speakers.map(\.id), seconds: seconds)
        return zip(timelines, links).enumerated().map { index, pair in
            let ((_, timeline), link) = pair
            let withFace = timeline.filter(\.face)
            let speaker = link.speaker.flatMap { id in speakers.first { $0.id == id } }
            var shares: [String: Double] = [:]
            for second in withFace { if let emotions = second.emotions { shares[emotions.mostLikely.rawValue, default: 0] += 1 } }
            return FaceTrack(id: "F\(index + 1)", role: speaker?.role ?? .unknown,
                             roleConfidence: speaker.map { ($0.roleConfidence * link.strength * 100).rounded() / 100 } ?? 0,
                             speaker: speaker?.id, link: link.reason,
                             firstSeen: Double(withFace.first?.t ?? 0), lastSeen: Double((withFace.last?.t ?? 0) + 1),
                             secondsWithFace: withFace.count,
                             emotionShares: shares.mapValues { ($0 / Double(max(1, withFace.count)) * 1000).rounded() / 1000 },
                             timeline: timeline)
        }
    }

    /// Averages each second's observations; seconds between them without one are marked.
    func perSecond(_ observations: [FaceObservation]) -> [FaceSecond] {
        guard let first = observations.first, let last = observations.last else { return [] }
        let start = Int(first.time), end = Int(last.time)
        var bins = [[FaceObservation]](repeating: [], count: end - start + 1)
        for observation in observations { bins[Int(observation.time) - start].append(observation) }
        return bins.enumerated().map { offset, group in
            guard !group.isEmpty else { return FaceSecond(t: start + offset, face: false) }
            let n = Double(group.count)
            func mean(_ value: (FaceObservation) -> Double) -> Double { group.reduce(0) { $0 + value($1) } / n }
            let box = [mean { $0.box.x }, mean { $0.box.y }, mean { $0.box.width }, mean { $0.box.height }].map { ($0 * 10000).rounded() / 10000 }
            let emotions = EmotionProbabilities(Emotion.allCases.indices.map { i in mean { $0.emotions.values[i] } })
            let motions = group.compactMap(\.mouthMotion)
            return FaceSecond(t: start + offset, face: true, box: box, emotions: emotions,
                              mouthMotion: motions.isEmpty ? nil : motions.reduce(0, +) / Double(motions.count))
        }
    }

    /// A centred moving average of the emotions over the seconds that have a face.
    func smoothed(_ seconds: [FaceSecond]) -> [FaceSecond] {
        let half = settings.smoothingSeconds / 2
        return seconds.indices.map { i in
            guard seconds[i].face else { return seconds[i] }
            let window = seconds[max(0, i - half)...min(seconds.count - 1, i + half)].compactMap(\.emotions)
            var second = seconds[i]
            second.emotions = EmotionProbabilities(Emotion.allCases.indices.map { k in
                window.reduce(0) { $0 + $1.values[k] } / Double(window.count)
            })
            return second
        }
    }

    static func talkingPerSecond(_ turns: [SpeakerTurn], seconds: Int) -> [Double] {
        var talking = [Double](repeating: 0, count: seconds)
        for turn in turns {
            var t = Int(turn.start)
            while t < seconds, Double(t) < turn.end {
                talking[t] += min(turn.end, Double(t + 1)) - max(turn.start, Double(t))
                t += 1
            }
        }
        return talking.map { min(1, $0) }
    }

    struct Link {
        var speaker: String?
        var strength: Double
        var reason: String
    }

    /// Links faces to speakers one to one. Evidence for a face and a speaker is the stronger
    /// of two correlations over the lesson's seconds: the face being on screen with the
    /// speaker talking (speaker view), and the face's mouth moving with the speaker talking
    /// (gallery view, where every face is always on screen).
    func link(_ timelines: [[FaceSecond]], talking: [String: [Double]], speakers: [String], seconds: Int) -> [Link] {
        var evidence: [[(value: Double, kind: String)]] = timelines.map { timeline in
            var visible = [Double](repeating: 0, count: seconds)
            var motionSeconds: [Int] = [], motion: [Double] = []
            for second in timeline where second.face && second.t < seconds {
                visible[second.t] = 1
                if let m = second.mouthMotion { motionSeconds.append(second.t); motion.append(m) }
            }
            return speakers.map { speaker in
                let talk = talking[speaker] ?? []
                let onScreen = Statistics.correlation(visible, talk)
                let mouth = motion.count >= 10 ? Statistics.correlation(motion, motionSeconds.map { talk[$0] }) : 0
                return onScreen >= mouth ? (onScreen, "on screen while") : (mouth, "mouth moves while")
            }
        }
        if speakers.isEmpty { evidence = timelines.map { _ in [] } }
        let weights = evidence.map { $0.map { max(0, $0.value) } }
        var links = timelines.map { _ in Link(speaker: nil, strength: 0, reason: speakers.isEmpty ? "no speech to link to" : "no speaker's talk matches this face") }
        for (f, s) in Assignment.maximumWeight(weights) {
            let best = evidence[f][s]
            let runnerUp = evidence[f].indices.filter { $0 != s }.map { evidence[f][$0].value }.max() ?? -1
            let text = String(format: "%@ %@ talks (r = %.2f; next best %.2f)", best.kind, speakers[s], best.value, max(runnerUp, 0))
            if best.value >= settings.minimumLinkEvidence, best.value - runnerUp >= settings.minimumLinkMargin {
                links[f] = Link(speaker: speakers[s], strength: min(1, best.value / 0.6), reason: text)
            } else {
                links[f].reason = "not linked: " + text
            }
        }
        return links
    }
}
