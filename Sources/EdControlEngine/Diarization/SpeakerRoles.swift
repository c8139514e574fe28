/// Who a diarized speaker is in the lesson.
public enum SpeakerRole: String, Codable, Sendable, CaseIterable {
    case teacher, student, unknown
}

/// A diarized speaker with the evidence behind its role.
public struct Speaker: Codable, Sendable, Equatable {
    public enum RoleSource: String, Codable, Sendable {
        /// Matched (or clearly did not match) the enrolled teacher's voice profile.
        case voiceProfile = "voice-profile"
        /// No profile: the speaker who talks most is taken to be the teacher.
        case mostTalkTime = "most-talk-time"
    }

    public var id: String
    public var role: SpeakerRole
    public var roleConfidence: Double
    public var roleSource: RoleSource
    public var talkSeconds: Double
    /// Cosine similarity of this speaker's voice to the teacher profile, when one was given.
    public var teacherProfileSimilarity: Double?
}

/// Decides which speaker is the teacher.
public struct TeacherIdentification: Sendable {
    public struct Settings: Codable, Sendable, Hashable {
        /// A speaker at least this similar (cosine) to the profile can be the teacher.
        public var profileMatchSimilarity: Double = 0.72
        public init() {}
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// - Parameters:
    ///   - talkSeconds: each speaker's total talk time, by speaker id.
    ///   - centroids: each speaker's mean voice embedding, by speaker id.
    public func assignRoles(talkSeconds: [String: Double], centroids: [String: [Float]],
                            profile: TeacherProfile?) -> [Speaker] {
        let ids = talkSeconds.keys.sorted()
        if let profile {
            let similarity = Dictionary(uniqueKeysWithValues: ids.map {
                ($0, Double(centroids[$0].map { profile.embedding.dot($0) } ?? 0))
            })
            let ranked = ids.sorted { similarity[$0]! > similarity[$1]! }
            let best = ranked.first
            let runnerUp = ranked.dropFirst().first.map { similarity[$0]! } ?? 0
            return ids.map { id in
                let s = similarity[id]!
                let isTeacher = id == best && s >= settings.profileMatchSimilarity
                // Confidence grows with the margin over the threshold and over the next-best voice.
                let confidence = isTeacher
                    ? min(1, 0.5 + (s - settings.profileMatchSimilarity) + (s - runnerUp))
                    : min(1, 0.5 + (settings.profileMatchSimilarity - s) + (best.map { similarity[$0]! - s } ?? 0) / 2)
                let role: SpeakerRole = isTeacher ? .teacher : (best != nil && similarity[best!]! >= settings.profileMatchSimilarity ? .student : .unknown)
                return Speaker(id: id, role: role, roleConfidence: max(0, confidence), roleSource: .voiceProfile,
                               talkSeconds: talkSeconds[id]!, teacherProfileSimilarity: s)
            }
        }
        let ranked = ids.sorted { talkSeconds[$0]! > talkSeconds[$1]! }
        guard let teacher = ranked.first else { return [] }
        let top = talkSeconds[teacher]!, second = ranked.dropFirst().first.map { talkSeconds[$0]! } ?? 0
        // Most talk time is a weak cue: 0.5 when two voices talk equally, at most 0.8.
        let margin = top + second > 0 ? (top - second) / (top + second) : 0
        let confidence = ranked.count == 1 ? 0.5 : 0.5 + 0.3 * margin
        return ids.map { id in
            Speaker(id: id, role: id == teacher ? .teacher : .student, roleConfidence: confidence,
                    roleSource: .mostTalkTime, talkSeconds: talkSeconds[id]!, teacherProfileSimilarity: nil)
        }
    }
}
