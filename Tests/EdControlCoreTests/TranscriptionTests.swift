import EdControlCore
import Foundation
import Testing

/// Whisper in-process (whisper.cpp on the model converted at setup) on real recorded speech
/// (scripts/data/asr-real-speech.sh). The comparison with faster-whisper on the original
/// weights over the whole set was run by hand (README, Transcription); it returns here with
/// the spectrogram fix, run off the test pool's threads: two minutes of whisper.cpp on the
/// cooperative threads starved the other suites' servers.
@Suite("Transcription", .serialized)
struct TranscriptionTests {
    static let corpus = Fixtures.repository.appendingPathComponent(".deps/corpora/asr-real-speech")

    /// Clips of one language from the corpus (every second one, so each speaker is in), with
    /// their reference texts.
    private func clips(_ language: String) throws -> [(name: String, wav: URL, reference: String)] {
        let references = try TranscriptTexts.read(Self.corpus.appendingPathComponent("\(language).stm"))
        return references.keys.sorted().enumerated().filter { $0.offset % 2 == 0 }.prefix(10)
            .map { ($0.element, Self.corpus.appendingPathComponent("\($0.element).wav"), references[$0.element]!) }
    }

    @Test func languageIsDetectedPerRecording() throws {
        let transcriber = try WhisperTranscriber(models: try Fixtures.registry(), threads: 1)
        for language in ["ru", "en"] {
            for clip in try clips(language).prefix(2) {
                let detected = try transcriber.detectLanguage(try FFmpegAudioDecoder().samples(of: clip.wav))
                #expect(detected.language == language && detected.probability > 0.5, "\(clip.name): \(detected)")
            }
        }
    }

    @Test func badModelsAndLanguagesAreRefusedInWords() throws {
        let transcriber = try WhisperTranscriber(models: try Fixtures.registry(), threads: 1)
        #expect(try transcriber.transcribe([], language: "ru").isEmpty)
        #expect(try transcriber.transcribe([Float](repeating: 0, count: 16_000), language: "en").allSatisfy { !$0.text.isEmpty })
        #expect(throws: ModelError.self) { try transcriber.transcribe([Float](repeating: 0, count: 16_000), language: "klingon") }

        // A damaged model file is refused before whisper.cpp reads it (it would abort the process).
        let folder = try Fixtures.temporaryDirectory("broken-whisper")
        let installed = try Fixtures.registry()
        for entry in installed.manifest.models {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(entry.file),
                                                       withDestinationURL: installed.directory.appendingPathComponent(entry.file))
        }
        try FileManager.default.copyItem(at: installed.directory.appendingPathComponent("manifest.json"), to: folder.appendingPathComponent("manifest.json"))
        let whisperFile = folder.appendingPathComponent(try installed.entry(WhisperTranscriber.modelID).file)
        try FileManager.default.removeItem(at: whisperFile)
        try Data("not a model".utf8).write(to: whisperFile)
        #expect {
            try WhisperTranscriber(models: try ModelRegistry(directory: folder))
        } throws: { error in
            "\(error)".contains("not a whisper.cpp (ggml) file")
        }
    }
}
