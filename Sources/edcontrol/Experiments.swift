import ArgumentParser
import EdControlEngine
import EdControlLab
import EdControlService
import EdControlStorage
import Foundation

struct Experiments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Compare a challenger configuration with the champion on a labelled corpus, and list past comparisons.",
        subcommands: [Compare.self, ListExperiments.self])

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run both configurations on the same items, pair the per-item metric, test the difference and give a verdict.",
            discussion: """
                The verdict follows a rule fixed before the run: the challenger is better if it improves the mean, \
                p < --alpha in both the paired t-test and the Wilcoxon signed-rank test (two-sided, as scipy computes them), \
                there are at least --minimum-items items, and no item is worse by more than --max-item-regression. \
                The experiment is stored in --data and listed by `experiment list` and the Models page.
                """)

        @Option(name: .long, help: "The champion: a registered version's name or a configuration file (default: the registry's champion).")
        var champion: String?

        @Option(name: .long, help: "The challenger: a registered version's name or a configuration file.")
        var challenger: String

        @Option(name: .long, help: "The labelled corpus: a folder (MANIFEST.json or SHA256SUMS pins its files), its manifest, or for emotion-accuracy a labels.json.")
        var corpus: String

        @Option(name: .long, help: "der, vad-f1, incident-f1 or emotion-accuracy.")
        var metric: ExperimentMetric

        @Option(name: .long, help: "Significance level both tests must reach.")
        var alpha = Experiment.Rule().alpha

        @Option(name: .long, help: "Fewest items the rule accepts a verdict from.")
        var minimumItems = Experiment.Rule().minimumItems

        @Option(name: .long, help: "Largest loss on any one item the rule tolerates, in the metric's units (0.05: 5 DER points).")
        var maxItemRegression = Experiment.Rule().maximumItemRegression

        @Flag(name: .long, help: "Print the experiment as JSON (items, pairedTTest, wilcoxon, verdict, …).")
        var json = false

        @Flag(name: .long, help: "No progress bar.")
        var quiet = false

        @Option(name: .long, help: "Who ran it (default: the user running the command).")
        var by = commandUser

        @OptionGroup var models: ModelOptions
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let registry = try reportingErrors { try models.registry() }
            let (_, store) = try await dataOptions.open()
            let sides = [try await resolveConfiguration(champion, store: store, models: registry, data: dataOptions.data),
                         try await resolveConfiguration(challenger, store: store, models: registry, data: dataOptions.data)]
            let items = try reportingErrors { try EvaluationCorpus.load(corpus, metric: metric) }
            let started = Date()
            let bar = ProgressBar(enabled: !quiet)
            let scores = try reportingErrors {
                try ExperimentRunner(models: registry).score(items, metric: metric, configurations: sides.map(\.configuration)) { bar.update(item: $0, of: $1) }
            }
            bar.finish()
            var rule = Experiment.Rule()
            rule.alpha = alpha
            rule.minimumItems = minimumItems
            rule.maximumItemRegression = maxItemRegression
            let experiment = Experiment(
                createdBy: by, metric: metric,
                corpus: Experiment.Corpus(path: items.location.path, manifest: items.manifest, manifestSHA256: items.manifestSHA256),
                champion: sides[0].side, challenger: sides[1].side,
                items: zip(items.items, zip(scores[0], scores[1])).map { Experiment.Item(id: $0.id, champion: $1.0, challenger: $1.1) },
                rule: rule, seconds: Date().timeIntervalSince(started))
            try await store.saveExperiment(try ExperimentRecord(experiment))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(experiment), as: UTF8.self))
            } else {
                ExperimentText.print(experiment)
            }
        }
    }

    struct ListExperiments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Past experiments, newest first.")

        @Option(name: .long, help: "How many.")
        var limit = 20

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            let records = try await store.experiments(limit: max(1, limit))
            if records.isEmpty { print("no experiments in \(dataOptions.data) yet: run `edcontrol experiment compare`") }
            for record in records {
                let experiment = try record.experiment
                let change = experiment.comparison.meanDifference
                print("\(ISO8601DateFormatter().string(from: experiment.createdAt))  \(experiment.id.prefix(8))  \(experiment.metric.rawValue)  "
                      + "\(experiment.challenger.name) vs \(experiment.champion.name) on \(URL(fileURLWithPath: experiment.corpus.path).lastPathComponent) "
                      + "(\(experiment.items.count) items): mean change \(String(format: "%+.4f", change)) → \(experiment.verdict.rawValue)")
            }
        }
    }
}

/// The experiment in words and a table, for a terminal.
enum ExperimentText {
    static func print(_ experiment: Experiment) {
        let direction = experiment.higherIsBetter ? "higher is better" : "lower is better"
        Swift.print("\(experiment.metric.rawValue) (\(direction)) on \(experiment.corpus.path): \(experiment.items.count) items, "
                    + "manifest \(experiment.corpus.manifest ?? "(none: files hashed)") sha256 \(experiment.corpus.manifestSHA256.prefix(16))…")
        Swift.print("champion   \(experiment.champion.name) (sha256 \(experiment.champion.sha256.prefix(16))…)")
        Swift.print("challenger \(experiment.challenger.name) (sha256 \(experiment.challenger.sha256.prefix(16))…)\n")
        let width = max(12, experiment.items.map(\.id.count).max() ?? 0)
        Swift.print("item".padding(toLength: width, withPad: " ", startingAt: 0) + "    champion  challenger  difference")
        for item in experiment.items {
            Swift.print(item.id.padding(toLength: width, withPad: " ", startingAt: 0)
                        + String(format: "  %10.4f  %10.4f  %+10.4f", item.champion, item.challenger, item.challenger - item.champion))
        }
        let comparison = experiment.comparison
        Swift.print(String(format: "\nmean difference (challenger − champion) %+.4f", comparison.meanDifference)
                    + (comparison.confidenceInterval95.map { String(format: ", 95%% CI [%+.4f, %+.4f]", $0.lower, $0.upper) } ?? ""))
        if let effect = comparison.effectSize { Swift.print(String(format: "effect size (Cohen's d of the differences) %+.3f", effect)) }
        if let t = experiment.pairedTTest {
            Swift.print(String(format: "paired t-test        t = %.4f, df = %d, p = %.4g", t.statistic, t.degreesOfFreedom, t.pValue))
        } else {
            Swift.print("paired t-test        undefined (fewer than 2 items, or every difference equal)")
        }
        if let w = experiment.wilcoxon {
            Swift.print(String(format: "Wilcoxon signed-rank W = %.1f, p = %.4g (%@, %d non-zero differences)", w.statistic, w.pValue, w.method.rawValue, w.nonZeroDifferences))
        } else {
            Swift.print("Wilcoxon signed-rank undefined (no item differs)")
        }
        Swift.print("\nrule: \(experiment.rule.words)")
        Swift.print("verdict: \(experiment.verdict.rawValue) — \(experiment.reason)")
        Swift.print(String(format: "(%.0f s; stored as experiment %@)", experiment.seconds, experiment.id))
    }
}

extension ExperimentMetric: ExpressibleByArgument {}

/// A registered version by name, or a configuration file completed from the built-in one;
/// nil is the registry's champion. Its models must be installed.
func resolveConfiguration(_ given: String?, store: any RegistryStore, models: ModelRegistry, data: String) async throws -> (side: Experiment.Side, configuration: AnalysisConfiguration) {
    if let given, FileManager.default.fileExists(atPath: given) {
        let configuration = try reportingErrors { try AnalysisConfiguration.load(from: URL(fileURLWithPath: given), defaults: .standard(installedIn: models)) }
        return (Experiment.Side(name: "file \(URL(fileURLWithPath: given).lastPathComponent)", sha256: configuration.sha256), configuration)
    }
    let registry = ConfigurationRegistry(store: store, models: models)
    let chosen: (name: String, configuration: AnalysisConfiguration)
    if let given {
        guard let found = try await store.configurationVersion(named: given) else {
            throw ValidationFailure(message: "\(given) is neither a file nor a registered configuration; `edcontrol models list --data \(data)` shows the registered ones.")
        }
        chosen = (found.name, try reportingErrors { try found.configuration })
    } else {
        chosen = try await registry.champion()
    }
    try reportingErrors { try registry.checkInstalled(chosen.configuration) }
    return (Experiment.Side(name: chosen.name, sha256: chosen.configuration.sha256), chosen.configuration)
}
