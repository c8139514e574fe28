import ArgumentParser
import EdControlCore
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score analysis output against labelled references.",
        subcommands: [DiarizationEval.self, VoiceActivityEval.self, RaisedVoiceEval.self, IncidentEval.self, FaceDetectionEval.self])
}

/// Reference and hypothesis RTTM files, as both evaluations take them.
struct RTTMPair: ParsableArguments {
    @Option(name: .long, help: "Reference (ground truth) RTTM.")
    var ref: String

    @Option(name: .long, help: "Hypothesis RTTM, e.g. the diarization.rttm that `analyze` wrote.")
    var hyp: String

    func load() throws -> (reference: [SpeakerTurn], hypothesis: [SpeakerTurn]) {
        func read(_ path: String) throws -> [SpeakerTurn] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationFailure(message: "\(path): cannot read this RTTM file.")
            }
            return try reportingErrors { try RTTM.parse(text, source: path) }
        }
        return (try read(ref), try read(hyp))
    }
}

struct DiarizationEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diarization",
        abstract: "Diarization error rate (NIST md-eval semantics) with its parts.")

    @OptionGroup var files: RTTMPair

    @Option(name: .long, help: "No-score collar in seconds around each reference boundary.")
    var collar: Double = 0.25

    func run() throws {
        let (reference, hypothesis) = try files.load()
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
}

struct VoiceActivityEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vad",
        abstract: "Frame-level speech detection precision, recall and F1 (speakers ignored).")

    @OptionGroup var files: RTTMPair

    @Option(name: .long, help: "Frame length in seconds.")
    var frame: Double = 0.01

    func run() throws {
        let (reference, hypothesis) = try files.load()
        let score = VoiceActivityScore.compute(reference: reference.map(\.span), hypothesis: hypothesis.map(\.span), frame: frame)
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
        case "any": kinds = [.face, .voice, .both]
        default: throw ValidationError("--modality must be face, voice or any")
        }
        let (reference, report) = try loadEpisodesAndReport(ref: ref, hyp: hyp)
        printEpisodeScore(EpisodeScore.compute(reference: reference.map(\.span),
                                               hypothesis: report.incidents.filter { kinds.contains($0.modality) }.map { TimeSpan(start: $0.start, end: $0.end) },
                                               minimumIoU: minIou))
    }
}

private func loadEpisodesAndReport(ref: String, hyp: String) throws -> ([SpeakerTurn], LessonReport) {
    func load<T: Decodable>(_ type: T.Type, from path: String, what: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationFailure(message: "\(path): cannot read it.") }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw ValidationFailure(message: "\(path): not \(what) (\(error.localizedDescription)).")
        }
    }
    return (try load([SpeakerTurn].self, from: ref, what: "a JSON list of {start, end, speaker}"),
            try load(LessonReport.self, from: hyp, what: "an EdControl report.json of the current schema"))
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

    @OptionGroup var models: ModelOptions

    func run() throws {
        let url = URL(fileURLWithPath: labels)
        guard let data = FileManager.default.contents(atPath: labels) else { throw ValidationFailure(message: "\(labels): cannot read it.") }
        let images: [LabelledImage]
        do { images = try JSONDecoder().decode([LabelledImage].self, from: data) } catch {
            throw ValidationFailure(message: "\(labels): not a list of {image, faces} (\(error.localizedDescription)).")
        }
        let registry = try reportingErrors { try models.registry() }
        let detectors: [(String, FaceDetecting)] = try reportingErrors {
            [("blazeface-full-range", try BlazeFaceDetector(modelPath: try registry.path(of: "blazeface-full-range"))),
             ("haar (baseline)", try HaarFaceDetector())]
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
