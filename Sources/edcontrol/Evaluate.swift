import ArgumentParser
import EdControlCore
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score analysis output against labelled references.",
        subcommands: [DiarizationEval.self, VoiceActivityEval.self])
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
