/// An episode a manager should look at: when, who, how strong, and why.
public struct Incident: Codable, Sendable, Equatable {
    public enum Modality: String, Codable, Sendable {
        case voice, face, both
    }

    public var start: Double
    public var end: Double
    /// Speaker id (voice) — the person the evidence is about.
    public var person: String
    public var role: SpeakerRole
    public var modality: Modality
    /// 0…1.
    public var peakIntensity: Double
    public var meanIntensity: Double
    /// What triggered it, in words.
    public var evidence: [String]
}

/// The lesson at a glance.
public struct LessonSummary: Codable, Sendable, Equatable {
    public enum Flag: String, Codable, Sendable {
        case ok, review, alert
    }

    public struct RoleFigures: Codable, Sendable, Equatable {
        public var role: SpeakerRole
        public var incidentCount: Int
        public var incidentSeconds: Double
    }

    public var flag: Flag
    public var reason: String
    public var roles: [RoleFigures]
}

/// Finds incidents in a lesson's measurements and flags the lesson.
public struct IncidentDetector: Sendable {
    public var rules: IncidentRules

    public init(rules: IncidentRules = IncidentRules()) { self.rules = rules }

    public func incidents(voice: VoiceReport, speakers: [Speaker]) -> [Incident] {
        let roles = Dictionary(uniqueKeysWithValues: speakers.map { ($0.id, $0.role) })
        let range = rules.raisedVoiceIntensityRangeLU
        func intensity(_ aboveBaseline: Double) -> Double {
            min(1, max(0, (aboveBaseline - range.lowerBound) / (range.upperBound - range.lowerBound)))
        }
        let fromVoice = voice.raisedVoice.filter { $0.end - $0.start >= rules.minimumRaisedVoiceSeconds }.map { episode in
            Incident(start: episode.start, end: episode.end, person: episode.speaker, role: roles[episode.speaker] ?? .unknown,
                     modality: .voice, peakIntensity: intensity(episode.peakAboveBaselineLU),
                     meanIntensity: intensity(episode.meanAboveBaselineLU),
                     evidence: [String(format: "voice raised %+.1f LU above the speaker's usual loudness for %.1f s (arousal %.2f)",
                                       episode.peakAboveBaselineLU, episode.end - episode.start, episode.meanArousal)])
        }
        return merge(fromVoice)
    }

    public func summary(_ incidents: [Incident], speakers: [Speaker]) -> LessonSummary {
        let roles = Set(speakers.map(\.role)).union(incidents.map(\.role)).sorted { $0.rawValue < $1.rawValue }
        let figures = roles.map { role in
            let own = incidents.filter { $0.role == role }
            return LessonSummary.RoleFigures(role: role, incidentCount: own.count, incidentSeconds: own.map { $0.end - $0.start }.reduce(0, +))
        }
        let total = incidents.map { $0.end - $0.start }.reduce(0, +)
        guard let strongest = incidents.max(by: { $0.peakIntensity < $1.peakIntensity }) else {
            return LessonSummary(flag: .ok, reason: "no incidents", roles: figures)
        }
        let when = HTMLReport.formatClock(strongest.start)
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
                if joined.modality != incident.modality { joined.modality = .both }
                merged[index] = joined
            } else {
                merged.append(incident)
            }
        }
        return merged
    }
}
