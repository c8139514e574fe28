import ArgumentParser
import EdControlEngine
import EdControlLab
import EdControlStorage
import Foundation

struct Calibrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit analysis thresholds to reviewers' verdicts.",
        subcommands: [IncidentRulesCommand.self])

    struct IncidentRulesCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "incident-rules",
            abstract: "Fit the incident rules' thresholds to a reviewed dataset, with k-fold cross-validation over lessons.",
            discussion: """
                The dataset is what `edcontrol dataset export` writes. Each recording is analysed once with --config \
                (default: the registry's champion); every combination of a grid of thresholds is then scored by incident \
                F1 against the confirmed incidents. --out gets the fitted rules as a configuration file: register it with \
                `edcontrol models register NAME --config FILE` and compare it like any challenger.
                """)

        @Option(name: .long, help: "The reviewed dataset's folder (or its MANIFEST.json).")
        var dataset: String

        @Option(name: .long, help: "The configuration whose rules are the starting point: a registered name or a file (default: the champion).")
        var config: String?

        @Option(name: .long, help: "Folds of the cross-validation (at most one per lesson).")
        var folds = 5

        @Option(name: .long, help: "Where to write the fitted rules, as a configuration file ({\"incidentRules\": …}).")
        var out: String

        @Flag(name: .long, help: "Print the result as JSON.")
        var json = false

        @Flag(name: .long, help: "No progress bar.")
        var quiet = false

        @OptionGroup var models: ModelOptions
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let registry = try reportingErrors { try models.registry() }
            let (_, store) = try await dataOptions.open()
            let chosen = try await resolveConfiguration(config, store: store, models: registry, data: dataOptions.data)
            let corpus = try reportingErrors { try EvaluationCorpus.load(dataset, metric: .incidentF1) }
            let analyzer = LessonAnalyzer(models: registry, configuration: chosen.configuration)
            let bar = ProgressBar(enabled: !quiet)
            let lessons = try reportingErrors {
                try corpus.items.enumerated().map { index, item -> IncidentRulesCalibration.Lesson in
                    let report = try analyzer.analyze(item.media)
                    let confirmed = try item.references.flatMap { try JSONDecoder().decode([SpeakerTurn].self, from: Data(contentsOf: $0)) }
                    bar.update(item: index + 1, of: corpus.items.count)
                    return .init(id: item.id, report: report, confirmed: confirmed.map(\.span))
                }
            }
            bar.finish()
            var calibration = IncidentRulesCalibration()
            calibration.folds = max(2, folds)
            let result = try reportingErrors { try calibration.calibrate(lessons, current: chosen.configuration.incidentRules) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(["incidentRules": result.rules]).write(to: URL(fileURLWithPath: out), options: .atomic)
            if json {
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                return
            }
            let current = chosen.configuration.incidentRules, fitted = result.rules
            print("\(result.lessons) reviewed lessons, \(result.confirmedIncidents) confirmed incidents; rules of \(chosen.side.name) (version \(current.version))")
            print(String(format: "incident F1 on all lessons: current %.3f, calibrated %.3f (fitted on them)", result.currentTrainingF1, result.trainingF1))
            for fold in result.folds {
                print(String(format: "  held out %@: current %.3f, calibrated %.3f", fold.heldOut.joined(separator: ", "), fold.currentF1, fold.calibratedF1))
            }
            print(String(format: "cross-validated incident F1 (%d folds, pooled): current %.3f, calibrated %.3f", result.folds.count,
                         result.currentCrossValidatedF1, result.crossValidatedF1))
            print("negativeEmotionThreshold \(current.negativeEmotionThreshold) → \(fitted.negativeEmotionThreshold), "
                  + "minimumNegativeEmotionRise \(current.minimumNegativeEmotionRise) → \(fitted.minimumNegativeEmotionRise), "
                  + "minimumNegativeEmotionSeconds \(current.minimumNegativeEmotionSeconds) → \(fitted.minimumNegativeEmotionSeconds), "
                  + "minimumRaisedVoiceSeconds \(current.minimumRaisedVoiceSeconds) → \(fitted.minimumRaisedVoiceSeconds)")
            print("wrote \(out) (rules version \(fitted.version)); next: `edcontrol models register NAME --config \(out) --reason …` and `edcontrol experiment compare --challenger NAME …`")
        }
    }
}
