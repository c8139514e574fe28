@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlReports
import Foundation
@testable import LessonSynthesis
import Testing

@Suite(.serialized) struct LessonSynthesisTests {
    /// The corpus is split by speaker: no real person is heard in both splits, both splits have
    /// women and men, and each has teachers with enough material.
    @Test func realSpeakersAreInstalledAndSplitBySpeaker() throws {
        let catalogue = RecordedSpeaker.catalogue
        #expect(Set(catalogue.map(\.id)).count == catalogue.count)
        for speaker in catalogue {
            let files = speaker.files()
            #expect(!files.isEmpty, "\(speaker): no clips; is \(speaker.package) installed?")
            if speaker.canTeach { #expect(files.count >= 5, "\(speaker): too few clips to teach") }
        }
        let train = catalogue.filter { $0.split == .train }, test = catalogue.filter { $0.split == .test }
        #expect(Set(train.map(\.clips)).isDisjoint(with: Set(test.map(\.clips))))
        for split in [train, test] {
            #expect(Set(split.map(\.sex)) == [.female, .male])
            #expect(split.filter(\.canTeach).count >= 3)
            #expect(split.count >= 5, "lessons of 5 speakers need 5 people")
        }
    }

    /// A real-voice lesson is an online call: only speakers of its split, each through a
    /// channel, students at their drawn level below the teacher, overlapped speech present,
    /// and the truth beside it (RTTM and the description).
    @Test func realVoiceLessonIsAnOnlineCallOfOneSplit() throws {
        var spec = LessonSpec(seed: 2024, speakerCount: 3, durationSeconds: 120)
        spec.voiceSet = .realTest
        let directory = Fixtures.scratch.appendingPathComponent("real-voice")
        let lesson = try LessonGenerator().generate(spec, into: directory, name: "call")
        let speakers = lesson.voices.values.compactMap { voice -> RecordedSpeaker? in
            if case .recorded(let speaker) = voice { return speaker }
            return nil
        }
        #expect(speakers.count == 3 && speakers.allSatisfy { $0.split == .test })
        #expect(Set(lesson.channels.keys) == ["teacher", "student1", "student2"])
        #expect(lesson.channels["teacher"]?.gainDB == 0)
        #expect(lesson.overlapShare > 0.02 && lesson.overlapShare < 0.25, "overlap \(lesson.overlapShare)")
        #expect(try RTTM.parse(String(contentsOf: lesson.rttm, encoding: .utf8)).count == lesson.turns.count)
        let description = try JSONDecoder().decode(LessonDescription.self,
                                                   from: Data(contentsOf: directory.appendingPathComponent("call.lesson.json")))
        #expect(description.voiceSet == .realTest && description.participants.count == 3)

        // Where one person speaks alone, their level is the teacher's plus their gain (codecs
        // and rooms move it a little).
        var samples: [Float] = []
        try FFmpegAudioDecoder().decode(lesson.media, chunkSeconds: 30) { samples += $0.samples }
        let alone = lesson.turns.spans(withAtLeast: 1)
        func level(_ id: String) -> Double {
            let own = lesson.turns.filter { $0.speaker == id }
            let others = lesson.turns.filter { $0.speaker != id }.spans(withAtLeast: 1)
            var sum = 0.0, count = 0
            for turn in own {
                for index in Int(turn.start * 16_000)..<min(samples.count, Int(turn.end * 16_000))
                    where !others.contains(where: { $0.contains(Double(index) / 16_000) }) {
                    sum += Double(samples[index] * samples[index]); count += 1
                }
            }
            return 10 * log10(sum / Double(max(count, 1)))
        }
        #expect(!alone.isEmpty)
        let teacher = level("teacher")
        for student in ["student1", "student2"] {
            let expected = lesson.channels[student]!.gainDB
            #expect(abs(level(student) - teacher - expected) < 5, "\(student): \(level(student) - teacher) dB against \(expected) dB")
        }
    }

    /// Every codec keeps the track's timing (the truth is where the clips were placed) and its
    /// length; the telephone channel removes what lies above its band.
    @Test(arguments: ParticipantChannel.Codec.allCases)
    func channelKeepsTimingThroughCodecs(codec: ParticipantChannel.Codec) throws {
        var track = [Float](repeating: 0, count: 5 * 16_000)
        var random = SeededRandom(seed: 3)
        for start in [16_000, 48_000] {
            for i in 0..<3_200 { track[start + i] = Float(random.uniform(-0.3, 0.3)) * Float(sin(Double.pi * Double(i) / 3_200)) }
        }
        let channel = ParticipantChannel(gainDB: 0, reverbSeconds: 0, noiseDBFS: -90, codec: codec)
        let scratch = Fixtures.scratch.appendingPathComponent("channels")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let heard = try channel.apply(to: track, seed: 1, scratch: scratch)
        #expect(heard.count == track.count)
        // The lag that best lines the two up, within ±20 ms.
        let lag = (-320...320).max { a, b in
            correlation(track, heard, lag: a) < correlation(track, heard, lag: b)
        }!
        #expect(abs(lag) <= 32, "\(codec.rawValue): shifted by \(lag) samples")

        if codec == .telephone {
            // Equal tones at 1 kHz and 6 kHz: only the first is in the telephone band.
            let tones = (0..<16_000).map { Float(0.2 * sin(2 * Double.pi * 1_000 * Double($0) / 16_000) + 0.2 * sin(2 * Double.pi * 6_000 * Double($0) / 16_000)) }
            let filtered = try channel.apply(to: tones, seed: 1, scratch: scratch)
            #expect(toneEnergy(filtered, hertz: 6_000) < toneEnergy(filtered, hertz: 1_000) / 1000, "a 6 kHz tone passes the telephone band")
        }
    }

    /// Energy of one frequency (the squared magnitude of its Fourier coefficient).
    private func toneEnergy(_ samples: [Float], hertz: Double) -> Double {
        var re = 0.0, im = 0.0
        for (i, sample) in samples.enumerated() {
            let phase = 2 * Double.pi * hertz * Double(i) / 16_000
            re += Double(sample) * cos(phase); im += Double(sample) * sin(phase)
        }
        return re * re + im * im
    }

    private func correlation(_ a: [Float], _ b: [Float], lag: Int) -> Float {
        var sum: Float = 0
        for i in stride(from: max(0, -lag), to: min(a.count, b.count - lag), by: 4) { sum += a[i] * b[i + lag] }
        return sum
    }

    /// The room's response keeps the level (unit energy) and decays by 60 dB over its RT60.
    @Test func roomResponseHasUnitEnergyAndDecays() {
        var random = SeededRandom(seed: 9)
        let response = ParticipantChannel.roomResponse(rt60: 0.4, &random)
        #expect(abs(response.reduce(0) { $0 + $1 * $1 } - 1) < 1e-3)
        func energy(_ range: Range<Int>) -> Float { response[range].reduce(0) { $0 + $1 * $1 } }
        // 0.1 s later the tail is 15 dB (≈ 30×) weaker.
        #expect(energy(800..<1_600) > 10 * energy(2_400..<3_200))
    }
}
