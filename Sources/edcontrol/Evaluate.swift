import ArgumentParser
import EdControlEngine
import EdControlReports
import EdControlLab
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score analysis output against labelled references.",
        subcommands: [DiarizationEval.self, VoiceActivityEval.self, RaisedVoiceEval.self, IncidentEval.self, FaceDetectionEval.self,
                      EmotionEval.self, WordErrorRateEval.self])
}

struct WordErrorRateEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wer",
        abstract: "Word error rate of transcripts, with substitutions, deletions and insertions.",
        discussion: """
            --ref and --hyp are each a plain text file, an STM file (one item per file id) or a folder of .txt/.stm \
            files (items by name; a hypothesis folder may also hold NAME/transcript.txt as `analyze --out` writes). \
            Texts are compared lower-cased, without punctuation, with ё read as е. Every reference item needs its hypothesis.
            """)

    @Option(name: .long, help: "Reference transcript(s).")
    var ref: String

    @Option(name: .long, help: "Hypothesis transcript(s).")
    var hyp: String

    @Flag(name: .long, help: "Print the items and the pooled score as JSON.")
    var json = false

    struct Item: Encodable { var id: String; var score: WordErrorRate; var rate: Double }
    struct Summary: Encodable { var items: [Item]; var pooled: WordErrorRate; var rate: Double }

    func run() throws {
        let references = try reportingErrors { try TranscriptTexts.read(URL(fileURLWithPath: ref)) }
        var hypotheses = try reportingErrors { try TranscriptTexts.read(URL(fileURLWithPath: hyp)) }
        // One file against one file: the names need not match.
        if references.count == 1, hypotheses.count == 1, let only = references.keys.first { hypotheses = [only: hypotheses.values.first!] }
        var items: [Item] = []
        for (id, reference) in references.sorted(by: { $0.key < $1.key }) {
            let nested = URL(fileURLWithPath: hyp).appendingPathComponent(id).appendingPathComponent("transcript.txt")
            guard let hypothesis = hypotheses[id] ?? (try? String(contentsOf: nested, encoding: .utf8)) else {
                throw ValidationFailure(message: "\(id): no hypothesis in \(hyp) (looked for \(id).txt, an STM file id \(id) and \(id)/transcript.txt).")
            }
            let score = WordErrorRate.compute(reference: reference, hypothesis: hypothesis)
            items.append(Item(id: id, score: score, rate: score.rate))
        }
        let pooled = items.map(\.score).reduce(WordErrorRate(), +)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(Summary(items: items, pooled: pooled, rate: pooled.rate)), as: UTF8.self))
            return
        }
        func line(_ id: String, _ score: WordErrorRate) -> String {
            id.padding(toLength: max(16, id.count), withPad: " ", startingAt: 0)
                + String(format: " %6d %7.2f%% %6d %6d %6d", score.referenceWords, 100 * score.rate, score.substitutions, score.deletions, score.insertions)
        }
        print("item".padding(toLength: 16, withPad: " ", startingAt: 0) + "  words     WER   subs   dels   ins")
        for item in items { print(line(item.id, item.score)) }
        if items.count > 1 { print(line("all (pooled)", pooled)) }
    }
}

struct DiarizationEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diarization",
        abstract: "Diarization error rate (NIST md-eval semantics) with its parts, for one recording or a corpus.",
        discussion: """
            One recording: --ref REF.rttm --hyp HYP.rttm. A corpus: --ref-dir holds NAME.rttm for each \
            recording, --hyp-dir holds NAME.rttm or NAME/diarization.rttm (what `analyze --out HYP-DIR/NAME` \
            writes); every reference must have its hypothesis.
            """)

    @OptionGroup var files: RTTMSources

    @Option(name: .long, help: "No-score collar in seconds around each reference boundary.")
    var collar: Double = 0.25

    @Flag(name: .long, help: "Print the corpus score as JSON (items and summary).")
    var json = false

    func run() throws {
        let pairs = try files.pairs()
        if json {
            print(try jsonText(DiarizationCorpusScore.compute(pairs, collar: collar)))
        } else if files.isCorpus {
            printCorpus(DiarizationCorpusScore.compute(pairs, collar: collar))
        } else {
            printOne(reference: pairs[0].reference, hypothesis: pairs[0].hypothesis)
        }
    }

    private func printOne(reference: [SpeakerTurn], hypothesis: [SpeakerTurn]) {
        let der = DiarizationErrorRate.compute(reference: reference, hypothesis: hypothesis, collar: collar)
        func share(_ value: Double) -> String {
            String(format: "%6.2f%%  (%.2f s)", der.totalSpeech > 0 ? 100 * value / der.totalSpeech : 0, value)
        }
        print(String(format: "scored speech      %.2f s (collar ±%.2f s)", der.totalSpeech, collar))
        print("missed speech     \(share(der.missedSpeech))")
        print("false alarm       \(share(der.falseAlarm))")
        print("speaker confusion \(share(der.speakerConfusion))")
        print(String(format: "DER               %6.2f%%", 100 * der.errorRate))
        print("speakers          reference \(Set(reference.map(\.speaker)).count), hypothesis \(Set(hypothesis.map(\.speaker)).count)")
        for (ref, hyp) in der.mapping.sorted(by: { $0.key < $1.key }) { print("mapping           \(ref) -> \(hyp)") }
    }

    private func printCorpus(_ score: DiarizationCorpusScore) {
        func column(_ text: String) -> String { text.padding(toLength: max(16, text.count), withPad: " ", startingAt: 0) }
        print(column("recording") + "  speech s     DER%    miss%      FA%    conf%   hyp/ref")
        for item in score.items {
            print(column(item.id) + String(format: " %9.1f %8.2f %8.2f %8.2f %8.2f %5d/%-4d", item.scoredSeconds, 100 * item.der,
                                           100 * item.missed, 100 * item.falseAlarm, 100 * item.confusion, item.hypothesisSpeakers, item.referenceSpeakers))
        }
        let summary = score.summary
        print(String(format: "DER (collar ±%.2f s): mean %.2f%%, median %.2f%%, time-weighted %.2f%%", collar,
                     100 * summary.meanDER, 100 * summary.medianDER, 100 * summary.timeWeightedDER))
        print(String(format: "speaker count exact: %d of %d (%.0f%%)", summary.countExact, summary.items, 100 * summary.countExactShare))
        let overlap = summary.overlapDetection
        print(String(format: "overlapped speech found: recall %.2f at precision %.2f (%.0f s in the references)",
                     overlap.recall, overlap.precision, overlap.referenceSeconds))
    }

    private func jsonText(_ score: DiarizationCorpusScore) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(score), as: UTF8.self)
    }
}

/// What an evaluation scores: one reference and hypothesis RTTM, or a corpus of them (a
/// folder of references NAME.rttm and one of hypotheses, NAME.rttm or NAME/diarization.rttm,
/// which is what `analyze --out HYP-DIR/NAME` writes).
struct RTTMSources: ParsableArguments {
    @Option(name: .long, help: "Reference (ground truth) RTTM.")
    var ref: String?

    @Option(name: .long, help: "Hypothesis RTTM, e.g. the diarization.rttm that `analyze` wrote.")
    var hyp: String?

    @Option(name: .customLong("ref-dir"), help: "Folder of reference RTTMs, one per recording (corpus mode).")
    var refDir: String?

    @Option(name: .customLong("hyp-dir"), help: "Folder of hypotheses: NAME.rttm or NAME/diarization.rttm (corpus mode).")
    var hypDir: String?

    var isCorpus: Bool { refDir != nil }

    func validate() throws {
        guard (ref != nil && hyp != nil && refDir == nil && hypDir == nil) || (ref == nil && hyp == nil && refDir != nil && hypDir != nil) else {
            throw ValidationError("Give either --ref and --hyp (one recording) or --ref-dir and --hyp-dir (a corpus).")
        }
    }

    func pairs() throws -> [(id: String, reference: [SpeakerTurn], hypothesis: [SpeakerTurn])] {
        if let ref, let hyp {
            return [(URL(fileURLWithPath: ref).deletingPathExtension().lastPathComponent, try readRTTM(ref), try readRTTM(hyp))]
        }
        let (referenceFolder, hypothesisFolder) = (refDir!, hypDir!)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: referenceFolder)) ?? [])
            .filter { $0.hasSuffix(".rttm") }.sorted()
        guard !names.isEmpty else { throw ValidationFailure(message: "\(referenceFolder): no .rttm references in this folder.") }
        return try names.map { name in
            let id = String(name.dropLast(".rttm".count))
            let candidates = ["\(hypothesisFolder)/\(id).rttm", "\(hypothesisFolder)/\(id)/diarization.rttm"]
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw ValidationFailure(message: "\(id): no hypothesis (looked for \(candidates.joined(separator: " and "))). Analyse it with `edcontrol analyze … --out \(hypothesisFolder)/\(id)`.")
            }
            return (id, try readRTTM("\(referenceFolder)/\(name)"), try readRTTM(found))
        }
    }
}

/// The turns of an RTTM file, or an error that says which file is wrong.
func readRTTM(_ path: String) throws -> [SpeakerTurn] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw ValidationFailure(message: "\(path): cannot read this RTTM file.")
    }
    return try reportingErrors { try RTTM.parse(text, source: path) }
}

struct VoiceActivityEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vad",
        abstract: "Frame-level speech detection precision, recall and F1 (speakers ignored), for one recording or a corpus (frames pooled).")

    @OptionGroup var files: RTTMSources

    @Option(name: .long, help: "Frame length in seconds.")
    var frame: Double = 0.01

    func run() throws {
        let score = try files.pairs().map { VoiceActivityScore.compute(reference: $0.reference.map(\.span), hypothesis: $0.hypothesis.map(\.span), frame: frame) }
            .reduce(.empty, +)
        print(String(format: "precision %.4f\nrecall    %.4f\nF1        %.4f", score.precision, score.recall, score.f1))
        print("frames    \(score.truePositiveFrames) TP, \(score.falsePositiveFrames) FP, \(score.falseNegativeFrames) FN, \(score.trueNegativeFrames) TN")
    }
}

struct RaisedVoiceEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raised-voice",
        abstract: "Raised-voice episode precision, recall and F1 (one-to-one matching at temporal IoU ≥ --min-iou).")

    @Option(name: .long, help: "Reference episodes: a JSON list of {start, end, speaker}, e.g. lessongen's NAME.raised-voice.json.")
    var ref: String

    @Option(name: .long, help: "The report.json that `analyze` wrote.")
    var hyp: String

    @Option(name: .long, help: "Least temporal intersection-over-union for a match.")
    var minIou = 0.5

    func run() throws {
        let (reference, report) = try loadEpisodesAndReport(ref: ref, hyp: hyp)
        printEpisodeScore(EpisodeScore.compute(reference: reference.map(\.span),
                                               hypothesis: report.voice.raisedVoice.map { TimeSpan(start: $0.start, end: $0.end) },
                                               minimumIoU: minIou))
    }
}

struct IncidentEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "Incident precision, recall and F1 against labelled episodes (one-to-one matching at temporal IoU ≥ --min-iou).")

    @Option(name: .long, help: "Reference episodes: a JSON list of {start, end, speaker}, e.g. lessongen's NAME.facial-episodes.json.")
    var ref: String

    @Option(name: .long, help: "The report.json that `analyze` wrote.")
    var hyp: String

    @Option(name: .long, help: "Which incidents to score: face (face or both), voice (voice or both), or any.")
    var modality = "any"

    @Option(name: .long, help: "Least temporal intersection-over-union for a match.")
    var minIou = 0.5

    func run() throws {
        let kinds: Set<Incident.Modality>
        switch modality {
        case "face": kinds = [.face, .both]
        case "voice": kinds = [.voice, .both]
        case "any": kinds = [.face, .voice, .words, .both]
        default: throw ValidationError("--modality must be face, voice or any")
        }
        let (reference, report) = try loadEpisodesAndReport(ref: ref, hyp: hyp)
        printEpisodeScore(EpisodeScore.compute(reference: reference.map(\.span),
                                               hypothesis: report.incidents.filter { kinds.contains($0.modality) }.map { TimeSpan(start: $0.start, end: $0.end) },
                                               minimumIoU: minIou))
    }
}

/// A JSON file decoded, or an error that names the file and what it should have held.
private func loadJSON<T: Decodable>(_ type: T.Type, from path: String, what: String) throws -> T {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationFailure(message: "\(path): cannot read it.") }
    do { return try JSONDecoder().decode(type, from: data) } catch {
        throw ValidationFailure(message: "\(path): not \(what) (\(error.localizedDescription)).")
    }
}

private func loadEpisodesAndReport(ref: String, hyp: String) throws -> ([SpeakerTurn], LessonReport) {
    (try loadJSON([SpeakerTurn].self, from: ref, what: "a JSON list of {start, end, speaker}"),
     try loadJSON(LessonReport.self, from: hyp, what: "an EdControl report.json of the current schema"))
}

private func printEpisodeScore(_ score: EpisodeScore) {
    print("episodes  reference \(score.referenceCount), detected \(score.hypothesisCount), matched \(score.matched)")
    print(String(format: "precision %.4f\nrecall    %.4f\nF1        %.4f", score.precision, score.recall, score.f1))
}

struct FaceDetectionEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faces",
        abstract: "Face detection precision and recall (IoU ≥ 0.5) of the DNN detector next to the Haar baseline, on labelled images.")

    @Option(name: .long, help: "labels.json: a list of {image, faces: [{x, y, width, height}], otherFaces (optional, don't care)}, images relative to it (lessongen --face-scenes writes one).")
    var labels: String

    @Option(name: .long, help: "Faces at least this wide (pixels) are the ones recall is promised for.")
    var minFaceSize = 48

    @Option(name: .long, help: "BlazeFace's score threshold (the operating point; the analysis uses the default).")
    var scoreThreshold = BlazeFaceDetector.Settings().scoreThreshold

    @Flag(name: .long, help: "Leave out the Haar baseline (it is slow).")
    var withoutBaseline = false

    @OptionGroup var models: ModelOptions

    func run() throws {
        let url = URL(fileURLWithPath: labels)
        let images = try loadJSON([LabelledImage].self, from: labels, what: "a list of {image, faces}")
        let registry = try reportingErrors { try models.registry() }
        let detectors: [(String, FaceDetecting)] = try reportingErrors {
            var settings = BlazeFaceDetector.Settings()
            settings.scoreThreshold = scoreThreshold
            let dnn: (String, FaceDetecting) = ("blazeface-full-range", try BlazeFaceDetector(modelPath: try registry.path(of: "blazeface-full-range"), settings: settings))
            return withoutBaseline ? [dnn] : [dnn, ("haar (baseline)", try HaarFaceDetector())]
        }
        print("images \(images.count), labelled faces \(images.map(\.faces.count).reduce(0, +)), IoU ≥ 0.5")
        print("detector                 precision  recall  recall(≥\(minFaceSize) px)  false/image  seconds")
        for (name, detector) in detectors {
            var score = FaceDetectionScore()
            let started = Date()
            for image in images {
                let path = url.deletingLastPathComponent().appendingPathComponent(image.image)
                let frame = try reportingErrors { try FFmpegVideoFrameDecoder().firstFrame(of: path, maxWidth: 4096) }
                let found = try reportingErrors { try detector.detect(in: frame, minimumFaceSize: minFaceSize) }
                score.add(labelled: image.faces, detected: found.map(\.box), others: image.otherFaces ?? [], largeFaceSize: Double(minFaceSize))
            }
            print(name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(format: " %9.3f  %6.3f  %16.3f  %11.3f  %7.1f", score.precision, score.recall,
                         score.recallOfLargeFaces, score.falseDetectionsPerImage, Date().timeIntervalSince(started)))
        }
    }

    struct LabelledImage: Decodable {
        var image: String
        var faces: [FaceBox]
        /// Side views and half-hidden faces: "don't care".
        var otherFaces: [FaceBox]?
    }
}

struct EmotionEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emotions",
        abstract: "Facial emotion accuracy, macro-F1 and confusion matrix on labelled face images, next to the most-frequent-class baseline.")

    @Option(name: .long, help: """
        labels.json: a list of {image, emotion, face (optional {x, y, width, height})}, images relative to it, \
        emotion one of \(Emotion.allCases.map(\.rawValue).joined(separator: ", ")). Without a face box the largest face \
        BlazeFace finds is used, and where it finds none the whole picture (a face crop, as in FER2013).
        """)
    var labels: String

    @OptionGroup var models: ModelOptions

    func run() throws {
        let url = URL(fileURLWithPath: labels)
        let images = try loadJSON([LabelledExpression].self, from: labels, what: "a list of {image, emotion}")
        let analyzer = LessonAnalyzer(models: try reportingErrors { try models.registry() })
        var score = ClassificationScore(classes: Emotion.allCases.map(\.rawValue))
        var wholePictures = 0
        for image in images {
            let read = try reportingErrors { try analyzer.readExpression(in: url.deletingLastPathComponent().appendingPathComponent(image.image), face: image.face) }
            if !read.faceFound { wholePictures += 1 }
            score.add(truth: Emotion.allCases.firstIndex(of: image.emotion)!, predicted: Emotion.allCases.firstIndex(of: read.emotion)!)
        }
        print("images \(images.count) (\(wholePictures) without a face found: the whole picture was classified)")
        printClassificationScore(score, name: "fer-mini-xception")
        printClassificationScore(score.mostFrequentClassBaseline, name: "most frequent class (baseline)")
    }
}

private func printClassificationScore(_ score: ClassificationScore, name: String) {
    print("\n\(name): accuracy \(String(format: "%.3f", score.accuracy)), macro-F1 \(String(format: "%.3f", score.macroF1))")
    let width = 9
    func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
    print("truth \\ predicted".padding(toLength: 18, withPad: " ", startingAt: 0) + score.classes.map(cell).joined() + cell("recall"))
    for (index, name) in score.classes.enumerated() where score.support(of: index) > 0 {
        print(name.padding(toLength: 18, withPad: " ", startingAt: 0) + score.confusion[index].map { cell(String($0)) }.joined()
            + cell(String(format: "%.3f", score.recall(of: index))))
    }
    print("precision".padding(toLength: 18, withPad: " ", startingAt: 0)
        + score.classes.indices.map { cell(String(format: "%.3f", score.precision(of: $0))) }.joined())
}
