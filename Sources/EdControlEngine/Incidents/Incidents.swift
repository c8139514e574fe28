/// An episode a manager should look at: when, who, how strong, and why.
public struct Incident: Codable, Sendable, Equatable {
    /// What the evidence is: a raised voice, a face, words said, or `both`: more than one of
    /// these (its findings say which).
    public enum Modality: String, Codable, Sendable {
        case voice, face, words, both
    }

    public var start: Double
    public var end: Double
    /// The person the evidence is about: a speaker id, or a face track id when the face
    /// is not linked to a speaker.
    public var person: String
    public var role: SpeakerRole
    public var modality: Modality
    /// 0…1.
    public var peakIntensity: Double
    public var meanIntensity: Double
    /// What triggered it, in English words.
    public var evidence: [String]
    /// The same as numbers, one per episode merged into the incident, so that it can be
    /// put in other words and languages.
    public var findings: [Finding]
}

extension Incident {
    /// Reports before schema version 4 have no findings.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        start = try container.decode(Double.self, forKey: .start)
        end = try container.decode(Double.self, forKey: .end)
        person = try container.decode(String.self, forKey: .person)
        role = try container.decode(SpeakerRole.self, forKey: .role)
        modality = try container.decode(Modality.self, forKey: .modality)
        peakIntensity = try container.decode(Double.self, forKey: .peakIntensity)
        meanIntensity = try container.decode(Double.self, forKey: .meanIntensity)
        evidence = try container.decode([String].self, forKey: .evidence)
        findings = try container.decodeIfPresent([Finding].self, forKey: .findings) ?? []
    }
}

/// One episode that makes (part of) an incident, as measured.
public struct Finding: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case raisedVoice, negativeFace, verbal }

    public var kind: Kind
    public var seconds: Double
    /// Raised voice: the loudest above the speaker's usual loudness (LU), and mean arousal.
    public var aboveBaselineLU: Double?
    public var arousal: Double?
    /// Negative face: which face (and its speaker), the most likely negative emotion, and the
    /// probability of a negative emotion: mean and peak over the episode, and the face's usual.
    public var face: String?
    public var speaker: String?
    public var emotion: Emotion?
    public var meanNegative: Double?
    public var peakNegative: Double?
    public var usualNegative: Double?
    /// Verbal: the words said and the lexicon's kind of language.
    public var said: String?
    public var language: VerbalLexicon.Kind?

    public static func raisedVoice(seconds: Double, aboveBaselineLU: Double, arousal: Double) -> Finding {
        Finding(kind: .raisedVoice, seconds: seconds, aboveBaselineLU: aboveBaselineLU, arousal: arousal)
    }

    public static func verbal(seconds: Double, said: String, kind: VerbalLexicon.Kind) -> Finding {
        Finding(kind: .verbal, seconds: seconds, said: said, language: kind)
    }

    public static func negativeFace(seconds: Double, face: String, speaker: String?, emotion: Emotion,
                                    mean: Double, peak: Double, usual: Double) -> Finding {
        Finding(kind: .negativeFace, seconds: seconds, face: face, speaker: speaker, emotion: emotion,
                meanNegative: mean, peakNegative: peak, usualNegative: usual)
    }
}

/// The lesson at a glance.
public struct LessonSummary: Codable, Sendable, Equatable {
    public enum Flag: String, Codable, Sendable, CaseIterable {
        /// No incident, with speech or faces to judge by.
        case ok
        case review, alert
        /// No incident, but neither speech nor a face was found: nothing was judged (a silent
        /// recording, music, a tone, a screen without people). Not "ok", which would vouch
        /// for a lesson nobody could see or hear.
        case inconclusive
    }

    public struct RoleFigures: Codable, Sendable, Equatable {
        public var role: SpeakerRole
        public var incidentCount: Int
        public var incidentSeconds: Double
        /// Seconds in which a face of this role was seen, and the share of them in which each
        /// emotion was the most likely one.
        public var faceSeconds: Int
        public var emotionShares: [String: Double]
    }

    public var flag: Flag
    public var reason: String
    public var roles: [RoleFigures]
}

/// Finds incidents in a lesson's measurements and flags the lesson.
public struct IncidentDetector: Sendable {
    public var rules: IncidentRules

    public init(rules: IncidentRules = IncidentRules()) { self.rules = rules }

    /// - Parameter verbal: lexicon words found in the transcript.
    public func incidents(voice: VoiceReport, faces: [FaceTrack], speakers: [Speaker], verbal: [VerbalMatch] = []) -> [Incident] {
        let roles = Dictionary(uniqueKeysWithValues: speakers.map { ($0.id, $0.role) })
        func intensity(_ aboveBaseline: Double) -> Double { Self.scale(aboveBaseline, onto: rules.raisedVoiceIntensityRangeLU) }
        let fromVoice = voice.raisedVoice.filter { $0.end - $0.start >= rules.minimumRaisedVoiceSeconds }.map { episode in
            Incident(start: episode.start, end: episode.end, person: episode.speaker, role: roles[episode.speaker] ?? .unknown,
                     modality: .voice, peakIntensity: intensity(episode.peakAboveBaselineLU),
                     meanIntensity: intensity(episode.meanAboveBaselineLU),
                     evidence: [String(format: "voice raised %+.1f LU above the speaker's usual loudness for %.1f s (arousal %.2f)",
                                       episode.peakAboveBaselineLU, episode.end - episode.start, episode.meanArousal)],
                     findings: [.raisedVoice(seconds: episode.end - episode.start, aboveBaselineLU: episode.peakAboveBaselineLU,
                                             arousal: episode.meanArousal)])
        }
        let fromWords = verbal.map { match in
            // A word lasts a fraction of a second: the incident spans at least a second, so it can be played.
            return Incident(start: match.start, end: max(match.end, match.start + 1), person: match.speaker ?? "unknown", role: match.role,
                            modality: .words, peakIntensity: match.intensity, meanIntensity: match.intensity,
                            evidence: ["said \u{201C}\(match.said)\u{201D} (\(match.kind.rawValue))"],
                            findings: [.verbal(seconds: max(match.end - match.start, 0), said: match.said, kind: match.kind)])
        }
        return merge(fromVoice + faces.flatMap(negativeEmotion) + fromWords)
    }

    private static func scale(_ value: Double, onto range: ClosedRange<Double>) -> Double {
        min(1, max(0, (value - range.lowerBound) / (range.upperBound - range.lowerBound)))
    }

    /// Runs of seconds in which the face looked negative for long enough.
    private func negativeEmotion(_ track: FaceTrack) -> [Incident] {
        let levels = track.timeline.compactMap { $0.emotions?.negative }
        guard !levels.isEmpty else { return [] }
        let baseline = ExpressionChanges.usualLevel(levels)
        var incidents: [Incident] = []
        var run: [FaceSecond] = []
        func close() {
            defer { run = [] }
            guard let first = run.first, let last = run.last,
                  Double(last.t + 1 - first.t) >= rules.minimumNegativeEmotionSeconds else { return }
            let negatives = run.compactMap { $0.emotions?.negative }
            let mean = negatives.reduce(0, +) / Double(negatives.count)
            var emotionTotals = [Double](repeating: 0, count: Emotion.allCases.count)
            for second in run { for (i, p) in (second.emotions?.values ?? []).enumerated() { emotionTotals[i] += p } }
            let strongest = Emotion.negative.max { emotionTotals[Emotion.allCases.firstIndex(of: $0)!] < emotionTotals[Emotion.allCases.firstIndex(of: $1)!] }!
            let who = track.speaker.map { "face \(track.id) (speaker \($0))" } ?? "face \(track.id)"
            incidents.append(Incident(
                start: Double(first.t), end: Double(last.t + 1), person: track.speaker ?? track.id, role: track.role, modality: .face,
                peakIntensity: Self.scale(negatives.max() ?? 0, onto: rules.negativeEmotionIntensityRange),
                meanIntensity: Self.scale(mean, onto: rules.negativeEmotionIntensityRange),
                evidence: [String(format: "%@ looked %@: negative emotion %.2f on average (peak %.2f; usually %.2f) for %d s",
                                  who, strongest.rawValue, mean, negatives.max() ?? 0, baseline, last.t + 1 - first.t)],
                findings: [.negativeFace(seconds: Double(last.t + 1 - first.t), face: track.id, speaker: track.speaker, emotion: strongest,
                                         mean: mean, peak: negatives.max() ?? 0, usual: baseline)]))
        }
        for second in track.timeline {
            if second.face, let emotions = second.emotions, emotions.negative >= rules.negativeEmotionThreshold,
               emotions.negative - baseline >= rules.minimumNegativeEmotionRise {
                if let last = run.last, second.t != last.t + 1 { close() }
                run.append(second)
            } else {
                close()
            }
        }
        close()
        return incidents
    }

    /// With less speech than this and no face, a lesson without incidents is inconclusive.
    public static let minimumJudgedSpeechSeconds = 2.0

    public func summary(_ incidents: [Incident], speakers: [Speaker], faces: [FaceTrack]) -> LessonSummary {
        let roles = Set(speakers.map(\.role)).union(incidents.map(\.role)).union(faces.map(\.role)).sorted { $0.rawValue < $1.rawValue }
        let figures = roles.map { role in
            let own = incidents.filter { $0.role == role }
            var counts: [String: Double] = [:]
            let seconds = faces.filter { $0.role == role }.flatMap(\.timeline).compactMap(\.emotions)
            for emotions in seconds { counts[emotions.mostLikely.rawValue, default: 0] += 1 }
            return LessonSummary.RoleFigures(role: role, incidentCount: own.count, incidentSeconds: own.map { $0.end - $0.start }.reduce(0, +),
                                             faceSeconds: seconds.count,
                                             emotionShares: counts.mapValues { ($0 / Double(seconds.count) * 1000).rounded() / 1000 })
        }
        let total = incidents.map { $0.end - $0.start }.reduce(0, +)
        guard let strongest = incidents.max(by: { $0.peakIntensity < $1.peakIntensity }) else {
            let speechSeconds = speakers.map(\.talkSeconds).reduce(0, +)
            let faceSeconds = figures.map(\.faceSeconds).reduce(0, +)
            if speechSeconds < Self.minimumJudgedSpeechSeconds && faceSeconds == 0 {
                return LessonSummary(flag: .inconclusive, reason: String(format: "nothing to judge: %.1f s of speech and no face were found "
                    + "(a silent recording, music or a tone?); listen to the recording", speechSeconds), roles: figures)
            }
            return LessonSummary(flag: .ok, reason: "no incidents", roles: figures)
        }
        let when = ClockTime.format(strongest.start)
        if strongest.peakIntensity >= rules.alertPeakIntensity {
            return LessonSummary(flag: .alert, reason: String(format: "%@ (%@) at %@: intensity %.2f — %@", strongest.person,
                                                             strongest.role.rawValue, when, strongest.peakIntensity, strongest.evidence.first ?? ""),
                                 roles: figures)
        }
        if total >= rules.alertTotalSeconds {
            return LessonSummary(flag: .alert, reason: String(format: "%d incidents lasting %.0f s in all", incidents.count, total), roles: figures)
        }
        return LessonSummary(flag: .review, reason: String(format: "%d incident(s); strongest at %@ (intensity %.2f)", incidents.count, when, strongest.peakIntensity),
                             roles: figures)
    }

    /// Joins one person's incidents separated by less than the merge gap.
    private func merge(_ incidents: [Incident]) -> [Incident] {
        var merged: [Incident] = []
        for incident in incidents.sorted(by: { $0.start < $1.start }) {
            if let index = merged.lastIndex(where: { $0.person == incident.person }),
               incident.start - merged[index].end < rules.mergeGapSeconds {
                var joined = merged[index]
                let (a, b) = (joined.end - joined.start, incident.end - incident.start)
                joined.meanIntensity = (joined.meanIntensity * a + incident.meanIntensity * b) / max(a + b, 1e-9)
                joined.end = max(joined.end, incident.end)
                joined.peakIntensity = max(joined.peakIntensity, incident.peakIntensity)
                joined.evidence += incident.evidence
                joined.findings += incident.findings
                if joined.modality != incident.modality { joined.modality = .both }
                merged[index] = joined
            } else {
                merged.append(incident)
            }
        }
        return merged
    }
}
