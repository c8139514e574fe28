import EdControlEngine
import Foundation

/// What a generated lesson is made of, written beside it as NAME.lesson.json: who speaks
/// (which real person or synthetic voice), through which channel, and how much overlaps.
/// Corpus manifests and per-group figures (same-sex lessons, codecs) are built from it.
public struct LessonDescription: Codable, Sendable {
    public struct Participant: Codable, Sendable {
        public var id: String
        public var voice: String
        /// The real speaker's catalogue id, sex, language and package (nil for synthetic voices).
        public var speaker: String?
        public var sex: RecordedSpeaker.Sex?
        public var language: String?
        public var package: String?
        public var channel: ParticipantChannel?
        public var speechSeconds: Double
    }

    public var name: String
    public var seed: UInt64
    public var voiceSet: VoiceSet
    public var durationSeconds: Double
    public var participants: [Participant]
    public var sameSex: Bool
    public var overlapPercent: Double

    init(_ lesson: GeneratedLesson, name: String, spec: LessonSpec, ids: [String]) {
        self.name = name
        seed = spec.seed
        voiceSet = spec.voiceSet
        durationSeconds = spec.durationSeconds
        sameSex = lesson.sameSex
        overlapPercent = (lesson.overlapShare * 1000).rounded() / 10
        participants = ids.map { id in
            let voice = lesson.voices[id]
            var speaker: RecordedSpeaker?
            if case .recorded(let recorded) = voice { speaker = recorded }
            let seconds = lesson.turns.filter { $0.speaker == id }.reduce(0) { $0 + $1.end - $1.start }
            return Participant(id: id, voice: voice.map(String.init(describing:)) ?? "", speaker: speaker?.id, sex: speaker?.sex,
                               language: speaker?.language, package: speaker?.package, channel: lesson.channels[id],
                               speechSeconds: (seconds * 10).rounded() / 10)
        }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

extension SpeakerTurn {
    /// Share of the speech time (anyone speaking) during which two or more people speak.
    static func overlapShare(_ turns: [SpeakerTurn]) -> Double {
        let speech = turns.spans(withAtLeast: 1).reduce(0) { $0 + $1.duration }
        return speech > 0 ? turns.spans(withAtLeast: 2).reduce(0) { $0 + $1.duration } / speech : 0
    }
}
