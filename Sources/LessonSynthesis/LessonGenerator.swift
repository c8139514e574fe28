import EdControlEngine
import EdControlReports
import Foundation

/// What kind of lesson to generate.
public struct LessonSpec: Sendable {
    public var seed: UInt64
    public var speakerCount: Int
    public var durationSeconds: Double
    /// Background noise level (white noise plus mains hum).
    public var noiseDBFS: Double = -45
    /// Chance that a new speaker starts before the previous one has finished.
    public var overlapProbability: Double = 0.1
    /// Chance that a teacher turn is shouted (synthetic teacher voices only): planted
    /// raised-voice episodes, listed in the lesson's `raisedVoice` ground truth.
    public var raisedVoiceProbability = 0.0
    /// Film the lesson (H.264 MP4): real people's photos whose mouths move while they speak.
    public var withVideo = false
    public var videoLayout = VideoLayout.gallery
    /// Planted facial episodes: the teacher's face switches this many times to a
    /// negative-looking photo of the same person for 6–12 s (`facialEpisodes` ground truth).
    public var facialEpisodeCount = 0
    /// Where scripts/setup.sh put the photos of real people.
    public var photos = URL(fileURLWithPath: ".deps/photos")
    /// Where the voices come from when `voices` is nil.
    public var voiceSet = VoiceSet.realTrain
    /// Voices to use, teacher first; nil picks `speakerCount` voices from `voiceSet` by seed.
    public var voices: [Voice]?

    public init(seed: UInt64, speakerCount: Int, durationSeconds: Double) {
        self.seed = seed
        self.speakerCount = speakerCount
        self.durationSeconds = durationSeconds
    }
}

/// Which voices a generated lesson uses, and how it sounds.
public enum VoiceSet: String, Sendable, Codable, CaseIterable {
    /// Real people (`RecordedSpeaker.catalogue`) in an online call: long teacher monologues,
    /// backchannels and interruptions (5–15 % overlapped speech), students up to 20 dB
    /// quieter, each participant through their own room, microphone and codec. Speakers of
    /// the `train` split only, or of the `test` split only; a third of the lessons have
    /// participants of one sex.
    case realTrain = "real-train", realTest = "real-test"
    /// The first generator: `Voice.pool` (espeak-ng voices and one LibriVox reader) taking
    /// turns with a little overlap, in one room with white noise and hum. Needed for planted
    /// raised-voice episodes (only synthetic voices can shout).
    case classic

    var split: RecordedSpeaker.Split? {
        switch self {
        case .realTrain: return .train
        case .realTest: return .test
        case .classic: return nil
        }
    }

    /// Whether the truth's speech is told from each clip's own noise floor
    /// (`Audio.speechThreshold`); the classic lessons keep the fixed −50 dBFS.
    var speechAboveNoiseFloor: Bool { self != .classic }
}

/// A generated lesson with its exact ground truth.
public struct GeneratedLesson: Sendable {
    public var media: URL
    public var rttm: URL
    /// Reference speech: speaker ids `teacher`, `student1`, `student2`, …
    public var turns: [SpeakerTurn]
    /// Planted raised-voice episodes (speech of shouted turns, pauses under 0.5 s joined).
    public var raisedVoice: [SpeakerTurn]
    public var voices: [String: Voice]
    /// For filmed lessons: where each participant's face is and when it is on screen.
    public var faces: [PlacedFace]
    /// Planted facial episodes (speaker `teacher`).
    public var facialEpisodes: [SpeakerTurn]
    /// Each participant's channel (real-voice lessons only).
    public var channels: [String: ParticipantChannel]

    /// Whether all participants are real people of one sex.
    public var sameSex: Bool {
        let sexes = voices.values.compactMap { voice -> RecordedSpeaker.Sex? in
            if case .recorded(let speaker) = voice { return speaker.sex }
            return nil
        }
        return sexes.count == voices.count && Set(sexes).count == 1
    }

    /// Share of the speech time during which two or more people speak.
    public var overlapShare: Double { SpeakerTurn.overlapShare(turns) }
}

/// One stretch of speech placed in the lesson.
struct PlacedUtterance {
    var speaker: Int
    var start: Double
    var samples: [Float]
    var raised = false

    func add(to buffer: inout [Float], gain: Float) {
        let first = Int(start * Audio.rate)
        for (offset, sample) in samples.enumerated() where first + offset < buffer.count { buffer[first + offset] += sample * gain }
    }
}

/// Builds test lessons: a teacher who talks most, students who answer, pauses, short
/// overlaps and background noise, with an RTTM that marks exactly where each voice is.
public struct LessonGenerator {
    public init() {}

    public func generate(_ spec: LessonSpec, into directory: URL, name: String) throws -> GeneratedLesson {
        precondition(spec.speakerCount >= 1)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var random = SeededRandom(seed: spec.seed)
        let voices = try spec.voices ?? spec.voiceSet.split.map { try pickRecordedVoices(spec.speakerCount, split: $0, &random) }
            ?? pickVoices(spec.speakerCount, &random)
        let ids = ["teacher"] + (1..<max(1, voices.count)).map { "student\($0)" }
        let sources = voices.map { SpeechSource(voice: $0, scratch: directory, aboveNoiseFloor: spec.voiceSet.speechAboveNoiseFloor) }
        let total = Int(spec.durationSeconds * Audio.rate)
        var mix = [Float](repeating: 0, count: total)
        var utterances: [PlacedUtterance]
        var channels: [String: ParticipantChannel] = [:]
        if spec.voiceSet == .classic {
            let gains = voices.map { _ in Float(random.uniform(0.6, 1.0)) }
            utterances = try classicConversation(spec, sources: sources, &random)
            for utterance in utterances {
                let gain = gains[utterance.speaker] * (utterance.raised ? 2 : 1)
                utterance.add(to: &mix, gain: gain)
            }
            addNoise(&mix, dBFS: spec.noiseDBFS, &random)
        } else {
            utterances = try onlineConversation(spec, sources: sources, &random)
            for index in voices.indices {
                let channel = ParticipantChannel.random(forTeacher: index == 0, noiseDBFS: spec.noiseDBFS, &random)
                var track = [Float](repeating: 0, count: total)
                for utterance in utterances where utterance.speaker == index { utterance.add(to: &track, gain: 1) }
                let heard = try channel.apply(to: track, seed: spec.seed &+ UInt64(index) &* 7919, scratch: directory)
                for i in mix.indices { mix[i] += heard[i] }
                channels[ids[index]] = channel
            }
        }
        let peak = mix.map(abs).max() ?? 1
        if peak > 0.95 { for i in mix.indices { mix[i] *= 0.95 / peak } }
        var reference: [SpeakerTurn] = [], raisedVoice: [SpeakerTurn] = []
        for utterance in utterances.sorted(by: { $0.start < $1.start }) {
            let spans = Audio.speechSpans(utterance.samples, offset: utterance.start, aboveNoiseFloor: spec.voiceSet.speechAboveNoiseFloor)
            let turns = spans.map { SpeakerTurn(start: $0.start, end: $0.end, speaker: ids[utterance.speaker]) }
            reference += turns
            if utterance.raised { raisedVoice += turns.joiningPauses(shorterThan: 0.5) }
        }

        let wav = directory.appendingPathComponent("\(name).wav")
        try Audio.wav(mix).write(to: wav)
        var media = wav
        let merged = reference.joiningPauses(shorterThan: SpeakerTurn.pauseBridgeSeconds, acrossOtherSpeakers: true)
        var faces: [PlacedFace] = [], facialEpisodes: [SpeakerTurn] = []
        if spec.withVideo {
            media = directory.appendingPathComponent("\(name).mp4")
            let photos = FacePhoto.catalogue(photos: spec.photos).filter { FileManager.default.fileExists(atPath: $0.path) }
            guard !photos.isEmpty else { throw GeneratorError("no photos in \(spec.photos.path): run scripts/setup.sh") }
            // A different photo per participant, chosen by seed.
            var shuffled = photos
            for i in shuffled.indices.reversed() where i > 0 { shuffled.swapAt(i, random.next(below: i + 1)) }
            var expressions: [Int: (photo: FacePhoto, spans: [TimeSpan])] = [:]
            if spec.facialEpisodeCount > 0 {
                // The teacher is the person with a second, negative-looking photo.
                guard let index = shuffled.firstIndex(where: { $0.negativeVariant != nil }),
                      let variant = photos.first(where: { $0.name == shuffled[index].negativeVariant }) else {
                    throw GeneratorError("no photo pair for facial episodes in \(spec.photos.path): run scripts/setup.sh")
                }
                shuffled.swapAt(0, index)
                let spans = plantedSpans(count: spec.facialEpisodeCount, duration: spec.durationSeconds, &random)
                expressions[0] = (variant, spans)
                facialEpisodes = spans.map { SpeakerTurn(start: $0.start, end: $0.end, speaker: ids[0]) }
            }
            faces = try LessonVideo(photos: shuffled).film(audio: wav, turns: merged, speakers: ids, duration: spec.durationSeconds,
                                                           layout: spec.videoLayout, expressions: expressions, into: media)
            try FileManager.default.removeItem(at: wav)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(faces).write(to: directory.appendingPathComponent("\(name).faces.json"))
            if spec.facialEpisodeCount > 0 {
                try encoder.encode(facialEpisodes).write(to: directory.appendingPathComponent("\(name).facial-episodes.json"))
            }
        }
        let rttm = directory.appendingPathComponent("\(name).rttm")
        try RTTM.render(merged, recordingID: name).write(to: rttm, atomically: true, encoding: .utf8)
        if spec.raisedVoiceProbability > 0 {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(raisedVoice).write(to: directory.appendingPathComponent("\(name).raised-voice.json"))
        }
        let lesson = GeneratedLesson(media: media, rttm: rttm, turns: merged, raisedVoice: raisedVoice,
                                     voices: Dictionary(uniqueKeysWithValues: zip(ids, voices)), faces: faces,
                                     facialEpisodes: facialEpisodes, channels: channels)
        try LessonDescription(lesson, name: name, spec: spec, ids: ids)
            .jsonData().write(to: directory.appendingPathComponent("\(name).lesson.json"))
        return lesson
    }

    /// The first generator's turn-taking: the teacher talks in turns of 1–4 sentences,
    /// students answer in 1–2, and a new speaker sometimes starts 0.2–0.6 s early.
    private func classicConversation(_ spec: LessonSpec, sources: [SpeechSource], _ random: inout SeededRandom) throws -> [PlacedUtterance] {
        var placed: [PlacedUtterance] = []
        var time = random.uniform(0.3, 1.0)
        var speaker = 0
        while true {
            let utteranceCount = speaker == 0 ? 1 + random.next(below: 4) : 1 + random.next(below: 2)
            // Only draws a number when episodes are asked for, so other lessons stay as they were.
            let raised = speaker == 0 && spec.raisedVoiceProbability > 0 && sources[0].voice.isSynthetic
                && random.nextUnit() < spec.raisedVoiceProbability
            let turn = try sources[speaker].turn(of: utteranceCount, pauses: 0.08...0.18, raised: raised, &random)
            guard Int(time * Audio.rate) + turn.count < Int(spec.durationSeconds * Audio.rate) - Int(0.3 * Audio.rate) else { break }
            placed.append(PlacedUtterance(speaker: speaker, start: time, samples: turn, raised: raised))
            let end = time + Double(turn.count) / Audio.rate

            let next = nextSpeaker(after: speaker, count: sources.count, &random)
            let overlaps = next != speaker && random.nextUnit() < spec.overlapProbability
            time = overlaps ? end - random.uniform(0.2, 0.6) : end + random.uniform(0.4, 1.6)
            speaker = next
        }
        return placed
    }

    /// An online lesson's turn-taking: a third of the teacher's turns are monologues of 4–11
    /// utterances; listeners say "mm", "yes" every 3–12 s while someone talks; three turns in
    /// ten start by interrupting, up to 1.5 s before the previous one ends.
    private func onlineConversation(_ spec: LessonSpec, sources: [SpeechSource], _ random: inout SeededRandom) throws -> [PlacedUtterance] {
        var placed: [PlacedUtterance] = []
        var time = random.uniform(0.3, 1.0)
        var speaker = 0
        while true {
            let utteranceCount = speaker != 0 ? 1 + random.next(below: 2)
                : random.nextUnit() < 0.3 ? 4 + random.next(below: 8) : 1 + random.next(below: 3)
            let turn = try sources[speaker].turn(of: utteranceCount, pauses: 0.1...0.5, &random)
            let length = Double(turn.count) / Audio.rate
            guard time + length < spec.durationSeconds - 0.3 else { break }
            placed.append(PlacedUtterance(speaker: speaker, start: time, samples: turn))
            if sources.count > 1 {
                var at = time + random.uniform(1, 8)
                while at < time + length - 1 {
                    let other = random.next(below: sources.count - 1)
                    let listener = other >= speaker ? other + 1 : other
                    placed.append(PlacedUtterance(speaker: listener, start: at, samples: try sources[listener].backchannel(&random)))
                    at += random.uniform(3, 12)
                }
            }
            let next = nextSpeaker(after: speaker, count: sources.count, &random)
            let interrupts = next != speaker && random.nextUnit() < 0.3
            time += interrupts ? length - min(length / 2, random.uniform(0.3, 1.5)) : length + random.uniform(0.2, 1.2)
            speaker = next
        }
        return placed
    }

    /// Real speakers of one split, teacher first (one with enough material to teach). A third
    /// of the lessons draw everyone from one sex, when the split has enough such speakers.
    private func pickRecordedVoices(_ count: Int, split: RecordedSpeaker.Split, _ random: inout SeededRandom) throws -> [Voice] {
        let installed = RecordedSpeaker.catalogue.filter { $0.split == split && !$0.files().isEmpty }
        var candidates = installed
        if random.nextUnit() < 1.0 / 3 {
            let sexes = [RecordedSpeaker.Sex.female, .male].filter { sex in
                let group = installed.filter { $0.sex == sex }
                return group.count >= count && group.contains(where: \.canTeach)
            }
            if !sexes.isEmpty {
                let sex = sexes[random.next(below: sexes.count)]
                candidates = installed.filter { $0.sex == sex }
            }
        }
        let teachers = candidates.filter(\.canTeach)
        guard candidates.count >= count, !teachers.isEmpty else {
            throw GeneratorError("\(count) speakers asked for, but only \(installed.count) real speakers of the \(split.rawValue) split are installed "
                                 + "(packages: \(RecordedSpeaker.packages.joined(separator: " "))); run scripts/setup.sh --with-test-tools")
        }
        let teacher = teachers[random.next(below: teachers.count)]
        var others = candidates.filter { $0 != teacher }
        var chosen = [teacher]
        for _ in 1..<max(1, count) { chosen.append(others.remove(at: random.next(below: others.count))) }
        return chosen.map { .recorded($0) }
    }

    /// Episodes of 6–12 s at random times, at least 10 s apart and clear of the ends.
    private func plantedSpans(count: Int, duration: Double, _ random: inout SeededRandom) -> [TimeSpan] {
        var spans: [TimeSpan] = []
        var attempts = 0
        while spans.count < count, attempts < 1000 {
            attempts += 1
            let length = random.uniform(6, 12)
            let start = random.uniform(5, max(5, duration - length - 5))
            let span = TimeSpan(start: start, end: start + length)
            guard span.end < duration - 2, spans.allSatisfy({ span.start > $0.end + 10 || span.end < $0.start - 10 }) else { continue }
            spans.append(span)
        }
        return spans.sorted { $0.start < $1.start }
    }

    private func pickVoices(_ count: Int, _ random: inout SeededRandom) -> [Voice] {
        var available = Voice.pool.filter(\.isAvailable)
        precondition(count <= available.count, "only \(available.count) voices are available")
        var chosen: [Voice] = []
        for _ in 0..<count { chosen.append(available.remove(at: random.next(below: available.count))) }
        return chosen
    }

    /// The teacher talks about half of the turns; students answer and sometimes talk to each other.
    private func nextSpeaker(after current: Int, count: Int, _ random: inout SeededRandom) -> Int {
        guard count > 1 else { return 0 }
        let student = 1 + random.next(below: count - 1)
        if current == 0 { return random.nextUnit() < 0.8 ? student : 0 }
        return random.nextUnit() < 0.75 || student == current ? 0 : student
    }

    private func addNoise(_ mix: inout [Float], dBFS: Double, _ random: inout SeededRandom) {
        let amplitude = Float(pow(10, dBFS / 20)) * Float(3.0.squareRoot()) // uniform noise RMS = a/√3
        for i in mix.indices {
            let hum = 0.3 * sin(2 * Float.pi * 50 * Float(i) / Float(Audio.rate))
            mix[i] += amplitude * (Float(random.nextUnit()) * 2 - 1 + hum)
        }
    }
}
