@testable import EdControlTestSupport
import EdControlEngine
import EdControlLab
import Foundation
import LessonSynthesis
import Testing

@Suite("Lesson analysis, end to end on real media")
struct PipelineTests {
    private func analyzer(_ configure: (inout AnalysisSettings) -> Void = { _ in }) throws -> LessonAnalyzer {
        var configuration = AnalysisConfiguration.standard(installedIn: try Fixtures.registry())
        configure(&configuration.settings)
        return LessonAnalyzer(models: try Fixtures.registry(), configuration: configuration)
    }

    @Test func diarizesAGeneratedThreeSpeakerLesson() throws {
        let lesson = try Fixtures.lesson(seed: 21, speakers: 3, duration: 120)
        let report = try analyzer().analyze(lesson.media)
        #expect(report.speakers.count == 3)
        let der = DiarizationErrorRate.compute(reference: lesson.turns, hypothesis: report.turns)
        #expect(der.errorRate < 0.10, "DER \(der.errorRate)")
        // Without a profile the teacher is the one who talks most, which the generator makes true.
        let teacher = try #require(report.speakers.first { $0.role == .teacher })
        #expect(der.mapping["teacher"] == teacher.id)
        #expect(teacher.roleSource == .mostTalkTime && teacher.roleConfidence > 0.5 && teacher.roleConfidence <= 0.8)
        #expect(report.talkMetrics.teacherTalkPercent > report.talkMetrics.studentTalkPercent)
        #expect(report.talkMetrics.turnCount > 5)
        #expect(report.lineage.models.map(\.id) == ["pyannote-segmentation-3.0", "ge2e-resemblyzer", "whisper-base-q8"])
        #expect(report.lineage.configurationSHA256 == AnalysisSettings().sha256)
        #expect(report.lineage.analysisConfigurationSHA256 == AnalysisConfiguration.standard(installedIn: try Fixtures.registry()).sha256)
        #expect(report.lineage.configurationVersion == nil, "analysed by hand, not by a registered version")
    }

    @Test func speakerCountOptionsAreObeyed() throws {
        let lesson = try Fixtures.lesson(seed: 21, speakers: 3, duration: 120)
        let forced = try analyzer { $0.speakerCount = .exactly(2) }.analyze(lesson.media, transcription: Fixtures.withoutWords)
        #expect(Set(forced.turns.map(\.speaker)).count == 2)
        // A minimum asks the clustering for that many voices; one that is never the likeliest
        // speaker anywhere has no turns and is not reported, so only the maximum is a promise.
        let bounded = try analyzer { $0.speakerCount = SpeakerCountBounds(minimum: 1, maximum: 2) }.analyze(lesson.media, transcription: Fixtures.withoutWords)
        #expect(Set(bounded.turns.map(\.speaker)).count == 2)
        #expect(bounded.speakerCount?.speakers == 2)
        #expect(forced.lineage.configurationSHA256 != bounded.lineage.configurationSHA256)
    }

    @Test func enrolledTeacherIsFoundByVoiceEvenWhenAStudentTalksMore() throws {
        let dir = try Fixtures.temporaryDirectory()
        // A lesson where the "teacher" voice is the quieter one: swap who talks most.
        var spec = LessonSpec(seed: 5, speakerCount: 2, durationSeconds: 90)
        spec.voiceSet = .classic
        spec.voices = [Voice.pool[1], Voice.pool[0]]
        let lesson = try LessonGenerator().generate(spec, into: dir, name: "swapped")
        // Enrol the voice that generated the *student* turns, as if it were the teacher.
        var sampleSpec = LessonSpec(seed: 99, speakerCount: 1, durationSeconds: 30)
        sampleSpec.voiceSet = .classic
        sampleSpec.voices = [Voice.pool[0]]
        let sample = try LessonGenerator().generate(sampleSpec, into: dir, name: "sample")
        let engine = try analyzer()
        let profile = try engine.enrollTeacher(from: sample.media)
        #expect(profile.speechSeconds > 10)

        let report = try engine.analyze(lesson.media, teacherProfile: profile, transcription: Fixtures.withoutWords)
        let der = DiarizationErrorRate.compute(reference: lesson.turns, hypothesis: report.turns)
        let teacher = try #require(report.speakers.first { $0.role == .teacher })
        #expect(teacher.roleSource == .voiceProfile)
        #expect(der.mapping["student1"] == teacher.id, "the enrolled voice speaks the student1 turns")
        #expect((teacher.teacherProfileSimilarity ?? 0) > 0.8)
        #expect(report.speakers.filter { $0.role == .student }.count == 1)
    }

    @Test func realHumanSpeechIsTellApartFromASyntheticVoice() throws {
        let dir = try Fixtures.temporaryDirectory()
        var spec = LessonSpec(seed: 8, speakerCount: 2, durationSeconds: 90)
        spec.voiceSet = .classic
        spec.voices = [Voice.pool.last!, Voice.pool[3]]
        let lesson = try LessonGenerator().generate(spec, into: dir, name: "human")
        let report = try analyzer().analyze(lesson.media, transcription: Fixtures.withoutWords)
        #expect(report.speakers.count == 2)
        let der = DiarizationErrorRate.compute(reference: lesson.turns, hypothesis: report.turns)
        #expect(der.errorRate < 0.10, "DER \(der.errorRate)")
    }

    @Test func videoLessonIsAnalysedFromItsAudioTrack() throws {
        let lesson = try Fixtures.lesson(seed: 31, speakers: 2, duration: 45, video: true)
        let report = try analyzer().analyze(lesson.media, transcription: Fixtures.withoutWords)
        #expect(report.input.media.video.first?.width == 1280)
        #expect(report.input.media.audio.first?.codec == "aac")
        #expect(report.speakers.count == 2)
        #expect(report.video.analysed && report.video.sampledFrames == 90)
    }

    @Test func audioOnlyRecordingSaysItsVideoWasNotAnalysed() throws {
        let lesson = try Fixtures.lesson(seed: 31, speakers: 2, duration: 45)
        let report = try analyzer().analyze(lesson.media)
        #expect(!report.video.analysed && report.video.tracks.isEmpty)
        #expect(report.video.note == "the recording has no video track")
        #expect(report.lineage.models.map(\.id) == ["pyannote-segmentation-3.0", "ge2e-resemblyzer", "whisper-base-q8"], "face models did not make this report")
    }

    /// Silence, a pure tone and a faceless video without sound have nothing to judge: the
    /// lesson is "inconclusive", never a green "ok".
    @Test func recordingsWithNothingToJudgeAreInconclusive() throws {
        let dir = try Fixtures.temporaryDirectory()
        let silent = dir.appendingPathComponent("silent.mp3")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "15", "-c:a", "libmp3lame", silent.path])
        let report = try analyzer().analyze(silent)
        #expect(report.speakers.isEmpty && report.turns.isEmpty)
        #expect(report.talkMetrics.silencePercent == 100)
        #expect(report.summary.flag == .inconclusive && report.summary.reason.contains("nothing to judge"), "\(report.summary)")

        let tone = dir.appendingPathComponent("tone.wav")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=20", tone.path])
        #expect(try analyzer().analyze(tone).summary.flag == .inconclusive)

        let blank = dir.appendingPathComponent("blank.mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "color=c=gray:s=320x240:d=10", "-pix_fmt", "yuv420p", blank.path])
        let faceless = try analyzer().analyze(blank)
        #expect(faceless.summary.flag == .inconclusive && faceless.video.analysed, "\(faceless.summary)")

        // Speech alone is something to judge.
        #expect(try analyzer().analyze(URL(fileURLWithPath: Fixtures.librivox[0])).summary.flag == .ok)
    }

    @Test func oneSecondRecordingIsAnalysedAndShorterIsRefused() throws {
        let dir = try Fixtures.temporaryDirectory()
        let oneSecond = dir.appendingPathComponent("one.ogg"), tiny = dir.appendingPathComponent("tiny.wav")
        try Fixtures.ffmpeg(["-i", Fixtures.librivox[0], "-t", "1.2", "-c:a", "libvorbis", oneSecond.path])
        try Fixtures.ffmpeg(["-i", Fixtures.librivox[0], "-t", "0.3", tiny.path])
        let report = try analyzer().analyze(oneSecond)
        #expect(report.speakers.count <= 1)
        #expect(throws: MediaError.self) { try analyzer().analyze(tiny) }
    }

    @Test func damagedModelFileIsDetected() throws {
        let dir = try Fixtures.temporaryDirectory()
        let source = try Fixtures.registry().directory
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let handle = try FileHandle(forWritingTo: dir.appendingPathComponent("ge2e_resemblyzer.safetensors"))
        try handle.seek(toOffset: 4096)
        handle.write(Data([1, 2, 3, 4]))
        try handle.close()
        let lesson = try Fixtures.lesson(seed: 31, speakers: 2, duration: 45)
        #expect(throws: ModelError.self) { try LessonAnalyzer(models: ModelRegistry(directory: dir)).analyze(lesson.media) }
    }
}
