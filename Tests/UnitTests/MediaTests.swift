@testable import EdControlTestSupport
import EdControlEngine
import EdControlLab
import Foundation
import Testing

@Suite("Media probing and decoding")
struct MediaTests {
    @Test func probesAStereo44kToneAndDecodesIt16kMono() throws {
        let dir = try Fixtures.temporaryDirectory()
        let file = dir.appendingPathComponent("tone.m4a")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3", "-ac", "2", "-c:a", "aac", file.path])
        let info = try FFprobe().probe(file)
        #expect(info.audio.count == 1)
        #expect(info.audio[0].sampleRate == 44100)
        #expect(info.audio[0].channels == 2)
        #expect(info.video.isEmpty)
        #expect(abs(info.durationSeconds - 3) < 0.1)

        var chunks: [AudioChunk] = []
        try FFmpegAudioDecoder().decode(file, chunkSeconds: 1) { chunks.append($0) }
        let total = chunks.reduce(0) { $0 + $1.samples.count }
        #expect(abs(total - 48_000) < 1_600, "3 s at 16 kHz, give or take the codec's padding")
        #expect(chunks.dropLast().allSatisfy { $0.samples.count == 16_000 })
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.startSample + $0.samples.count == $1.startSample })
        let peak = chunks.flatMap(\.samples).map(abs).max() ?? 0
        #expect(peak > 0.05 && peak < 0.15, "ffmpeg's sine source has amplitude 1/8 before AAC and the stereo-to-mono mix: \(peak)")
    }

    @Test func videoStreamsAreReportedAndCoverArtIsNot() throws {
        let dir = try Fixtures.temporaryDirectory()
        let video = dir.appendingPathComponent("clip.mkv")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i", "sine=duration=2",
                             "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libopus", video.path])
        let info = try FFprobe().probe(video)
        #expect(info.video.count == 1 && info.video[0].width == 320 && abs(info.video[0].framesPerSecond - 25) < 0.01)
        #expect(info.audio.count == 1)
    }

    @Test func missingEmptyAndNonMediaFilesGetClearErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        #expect(throws: MediaError.fileNotFound(dir.appendingPathComponent("nope.mp4").path)) {
            try FFprobe().probe(dir.appendingPathComponent("nope.mp4"))
        }
        let empty = dir.appendingPathComponent("empty.wav")
        try Data().write(to: empty)
        #expect(throws: MediaError.emptyFile(empty.path)) { try FFprobe().probe(empty) }

        let pdf = dir.appendingPathComponent("slides.mp4")
        try Data("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n".utf8).write(to: pdf)
        do {
            _ = try FFprobe().probe(pdf)
            Issue.record("a PDF was accepted as media")
        } catch let error as MediaError {
            guard case .notMedia = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains("not an audio or video recording"))
        }
    }

    @Test func truncatedMP4IsRejectedAsTruncated() throws {
        let dir = try Fixtures.temporaryDirectory()
        let full = dir.appendingPathComponent("full.mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=duration=5", "-c:a", "aac", full.path])
        let data = try Data(contentsOf: full)
        let cut = dir.appendingPathComponent("cut.mp4")
        try data.prefix(data.count / 2).write(to: cut)
        do {
            _ = try FFprobe().probe(cut)
            Issue.record("a truncated MP4 was accepted")
        } catch let error as MediaError {
            #expect(error.description.contains("truncated"), "\(error)")
        }
    }
}

@Suite("Odd but valid recordings")
struct OddFormatTests {
    /// Each is a real lesson's speech (a LibriVox reader and a synthetic voice) in an unusual encoding.
    @Test(arguments: [
        ("u8-8k.wav", ["-ar", "8000", "-c:a", "pcm_u8"]),
        ("surround.flac", ["-ar", "48000", "-af", "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=c0|BL=c0|BR=c0"]),
        ("voice.opus", ["-c:a", "libopus", "-b:a", "24k"]),
        ("two-tracks.mka", ["-map", "0:a", "-map", "0:a", "-c:a", "libvorbis"]),
        ("lesson.mov", ["-c:a", "alac"]),
    ])
    func analysesUnusualEncodings(name: String, options: [String]) throws {
        let lesson = try Fixtures.lesson(seed: 41, speakers: 2, duration: 40)
        let dir = try Fixtures.temporaryDirectory()
        let file = dir.appendingPathComponent(name)
        try Fixtures.ffmpeg(["-i", lesson.media.path] + options + [file.path])
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(file, transcription: Fixtures.withoutWords)
        #expect(report.speakers.count == 2, "\(name)")
        let der = DiarizationErrorRate.compute(reference: lesson.turns, hypothesis: report.turns)
        #expect(der.errorRate < 0.15, "\(name): DER \(der.errorRate)")
    }

    @Test func mp3WithCorruptFramesInTheMiddleIsStillAnalysed() throws {
        let lesson = try Fixtures.lesson(seed: 41, speakers: 2, duration: 40)
        let dir = try Fixtures.temporaryDirectory()
        let file = dir.appendingPathComponent("damaged.mp3")
        try Fixtures.ffmpeg(["-i", lesson.media.path, "-c:a", "libmp3lame", "-b:a", "64k", file.path])
        var data = try Data(contentsOf: file)
        var random = SystemRandomNumberGenerator()
        let middle = data.count / 2
        for i in middle..<(middle + 4_000) { data[i] = UInt8.random(in: 0...255, using: &random) }
        try data.write(to: file)
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(file, transcription: Fixtures.withoutWords)
        #expect(report.speakers.count == 2)
        #expect(report.input.analysedAudioSeconds > 35)
    }

    @Test func singleVoiceIsOneSpeakerAndSixVoicesAreSix() throws {
        let analyzer = LessonAnalyzer(models: try Fixtures.registry())
        let alone = try Fixtures.lesson(seed: 51, speakers: 1, duration: 60)
        #expect(try analyzer.analyze(alone.media, transcription: Fixtures.withoutWords).speakers.count == 1)
        let crowd = try Fixtures.lesson(seed: 52, speakers: 6, duration: 240)
        let report = try analyzer.analyze(crowd.media, transcription: Fixtures.withoutWords)
        let der = DiarizationErrorRate.compute(reference: crowd.turns, hypothesis: report.turns)
        #expect(report.speakers.count == Set(crowd.turns.map(\.speaker)).count)
        #expect(der.errorRate < 0.10, "DER \(der.errorRate)")
    }
}
