@testable import EdControlTestSupport
import EdControlEngine
import EdControlLab
import Foundation
import Testing

@Suite("Voice activity detection")
struct VoiceActivityTests {
    private func detector() throws -> SileroVoiceActivityDetector {
        try SileroVoiceActivityDetector(modelPath: try Fixtures.registry().path(of: "silero-vad"))
    }

    private func segments(of url: URL, chunkSeconds: Double) throws -> [TimeSpan] {
        let vad = try detector()
        var found: [SpeechSegment] = []
        try FFmpegAudioDecoder().decode(url, chunkSeconds: chunkSeconds) { found += vad.accept($0) }
        found += vad.finish()
        return found.map(\.span)
    }

    @Test func findsTheSpeechOfAGeneratedLesson() throws {
        let lesson = try Fixtures.lesson(seed: 11, speakers: 3, duration: 60)
        let score = VoiceActivityScore.compute(reference: lesson.turns.map(\.span),
                                               hypothesis: try segments(of: lesson.media, chunkSeconds: 10), duration: 60)
        #expect(score.f1 >= 0.93, "F1 \(score.f1), precision \(score.precision), recall \(score.recall)")
    }

    @Test func resultDoesNotDependOnChunkSize() throws {
        let lesson = try Fixtures.lesson(seed: 11, speakers: 3, duration: 60)
        let small = try segments(of: lesson.media, chunkSeconds: 0.5)
        let large = try segments(of: lesson.media, chunkSeconds: 30)
        #expect(!small.isEmpty)
        #expect(small == large)
    }

    @Test func silenceAndNoiseHaveNoSpeech() throws {
        let dir = try Fixtures.temporaryDirectory()
        let silence = dir.appendingPathComponent("silence.wav"), noise = dir.appendingPathComponent("noise.wav")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "20", silence.path])
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "anoisesrc=d=20:c=pink:a=0.02:r=16000", noise.path])
        #expect(try segments(of: silence, chunkSeconds: 10).isEmpty)
        #expect(try segments(of: noise, chunkSeconds: 10).reduce(0) { $0 + $1.duration } < 1)
    }

    @Test func refusesAFileThatIsNotAnONNXModel() throws {
        let dir = try Fixtures.temporaryDirectory()
        let bogus = dir.appendingPathComponent("silero_vad.onnx")
        try Data("not a model".utf8).write(to: bogus)
        #expect(throws: ModelError.self) { try SileroVoiceActivityDetector(modelPath: bogus.path) }
    }
}
