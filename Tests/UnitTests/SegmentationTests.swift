@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlReports
@testable import EdControlLab
import LessonSynthesis
import Foundation
import Testing

@Suite(.serialized) struct SegmentationTests {
    /// The graph the segmenter runs (rewritten at setup, through the C bridge to the ONNX Runtime
    /// of the sherpa-onnx wheel) must decide, frame by frame, as the original export run by
    /// Python's onnxruntime does, on real overlapped speech.
    @Test(arguments: [("trn00", 10.0), ("trn09", 0.0)])
    func segmenterDecidesAsTheOriginalModel(name: String, start: Double) throws {
        let registry = try Fixtures.registry()
        let segmenter = try PyannoteSegmenter(modelPath: try registry.path(of: "pyannote-segmentation-3.0"))
        let samples = try RealMeetings.samples(name)
        let from = Int(start * 16_000)
        let window = try segmenter.segment(samples[from..<(from + 160_000)], startSample: from)
        let result = try Fixtures.run(Fixtures.python, [Fixtures.repository.appendingPathComponent("scripts/dev/pyannote_segmentation_reference.py").path,
                                                        Fixtures.wheels, RealMeetings.audio(name).path, String(start)])
        #expect(result.status == 0, "onnxruntime reference failed: \(result.stderr)")
        let classes = result.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(classes.count == window.frameCount)
        let theirs = classes.map { Set(PyannoteSegmenter.powerset[$0]) }
        let ours = (0..<window.frameCount).map { frame in Set((0..<3).filter { window.isActive(frame: frame, speaker: $0) }) }
        let agreeing = zip(theirs, ours).filter { $0 == $1 }.count
        #expect(Double(agreeing) / Double(classes.count) >= 0.99, "\(agreeing) of \(classes.count) frames agree")
        // These windows hold overlapped speech: the model must report two speakers at once somewhere.
        #expect(ours.contains { $0.count == 2 })
    }

    /// Windows step through the stream, however it is chunked, and the last, partial window is
    /// padded rather than lost.
    @Test func windowsStepThroughTheStreamAndTheLastIsPadded() throws {
        let segmenter = try PyannoteSegmenter(modelPath: try Fixtures.registry().path(of: "pyannote-segmentation-3.0"))
        var settings = WindowedSegmenter.Settings()
        settings.windowStepSeconds = 5
        let windowed = WindowedSegmenter(segmenter: segmenter, settings: settings)
        // 28.125 s of the clip: the window at 20 s is completed by 1.875 s of silence.
        let samples = Array(try RealMeetings.samples("trn06").prefix(450_000))
        var segmented: [SegmentedAudio] = []
        var offset = 0
        for size in [33_000, 100_000, 7, 200_000] + [Int](repeating: 50_000, count: 10) where offset < samples.count {
            segmented += try windowed.accept(Array(samples[offset..<min(samples.count, offset + size)]))
            offset += size
        }
        segmented += try windowed.finish()
        #expect(segmented.map(\.window.startSample) == [0, 80_000, 160_000, 240_000, 320_000])
        #expect(segmented.map(\.index) == [0, 1, 2, 3, 4])
        #expect(windowed.windows.count == 5)
        #expect(segmented.allSatisfy { $0.samples.count == 160_000 && $0.window.frameCount == 589 })
        let last = try #require(segmented.last)
        #expect(last.samples[..<130_000] == samples[320_000...])
        #expect(last.samples[130_000...].allSatisfy { $0 == 0 })
        // The padding is heard as silence.
        #expect((500..<589).allSatisfy { last.window.speakerCount(frame: $0) == 0 })
        #expect(segmented.dropLast().allSatisfy { $0.samples[...] == samples[$0.window.startSample..<($0.window.startSample + 160_000)] })
    }

    /// Each local speaker with enough speech gets one embedding, made from their own frames,
    /// with partial embeddings covering those frames.
    @Test func localSpeakersAreEmbeddedFromTheirOwnFrames() throws {
        let registry = try Fixtures.registry()
        let segmenter = try PyannoteSegmenter(modelPath: try registry.path(of: "pyannote-segmentation-3.0"))
        let voices = try GE2ESpeakerEmbedder(weightsURL: URL(fileURLWithPath: try registry.path(of: "ge2e-resemblyzer")))
        let settings = LocalSpeakerEmbedder.Settings()
        let embedder = LocalSpeakerEmbedder(embedder: voices, frames: segmenter.frames, settings: settings)
        let samples = try RealMeetings.samples("trn08")
        let window = try segmenter.segment(samples[160_000..<320_000], startSample: 160_000)
        let locals = embedder.localSpeakers(of: [SegmentedAudio(index: 7, window: window, samples: Array(samples[160_000..<320_000]))])
        #expect(locals.count >= 2, "this window of the meeting has several voices")
        for local in locals {
            #expect(local.window == 7)
            #expect(local.embedding.count == GE2EEncoder.embeddingSize && abs(local.embedding.dot(local.embedding) - 1) < 1e-3)
            #expect(local.speechSeconds >= settings.minimumSpeechSeconds && local.speechSeconds <= 10)
            #expect(local.frames.allSatisfy { window.isActive(frame: $0, speaker: local.speaker) })
            if local.isClean { #expect(local.frames.allSatisfy { window.speakerCount(frame: $0) == 1 }) }
            #expect(!local.partials.isEmpty && local.partials.allSatisfy { $0.frames.upperBound <= local.frames.count })
        }
    }

    /// The analysis embeds several windows in one call (their voice stretches share matrix
    /// products): each window's local speakers come out as they do when it is embedded alone.
    @Test func windowsEmbeddedTogetherGiveWhatEachGivesAlone() throws {
        let registry = try Fixtures.registry()
        let segmenter = try PyannoteSegmenter(modelPath: try registry.path(of: "pyannote-segmentation-3.0"))
        let voices = try GE2ESpeakerEmbedder(weightsURL: URL(fileURLWithPath: try registry.path(of: "ge2e-resemblyzer")))
        let embedder = LocalSpeakerEmbedder(embedder: voices, frames: segmenter.frames, settings: LocalSpeakerEmbedder.Settings())
        let samples = try RealMeetings.samples("trn00")
        let windows = try [0, 80_000, 160_000, 240_000].enumerated().map { index, start in
            SegmentedAudio(index: index, window: try segmenter.segment(samples[start..<(start + 160_000)], startSample: start),
                           samples: Array(samples[start..<(start + 160_000)]))
        }
        let together = embedder.localSpeakers(of: windows)
        let alone = windows.flatMap { embedder.localSpeakers(of: [$0]) }
        #expect(together.count == alone.count && together.count >= 4)
        for (a, b) in zip(together, alone) {
            #expect(a.window == b.window && a.speaker == b.speaker && a.frames == b.frames && a.partials.count == b.partials.count)
            #expect(a.embedding.dot(b.embedding) > 0.9999, "window \(a.window) speaker \(a.speaker): cosine \(a.embedding.dot(b.embedding))")
        }
    }

    /// A network that is not one input to one output is refused with the reason, not run.
    @Test func theSegmentersRuntimeRefusesANetworkOfAnotherShape() throws {
        let faces = try Fixtures.registry().path(of: "blazeface-full-range")
        #expect { try PyannoteSegmenter(modelPath: faces) } throws: { "\($0)".contains("one input and one output") }
        let broken = try Fixtures.temporaryDirectory("onnx").appendingPathComponent("broken.onnx")
        try Data(repeating: 7, count: 4096).write(to: broken)
        #expect(throws: ModelError.self) { try PyannoteSegmenter(modelPath: broken.path) }
    }
}
