import EdControlCore
import Foundation
import Hummingbird

/// `/models` (admins): the analysis configurations in the registry with the champion, the
/// log of champion changes, the experiments that compared configurations, and each
/// installed model's card. Read-only: the champion analyses every school's lessons, so it
/// is changed by the installation's operator (`edcontrol models promote|rollback`).
struct ModelsPage {
    let store: EdControlStore
    let models: ModelRegistry
    let pages: PageRenderer

    struct Version { var name: String; var sha: String; var by: String; var at: String; var reason: String; var isChampion: Bool }
    struct Change { var at: String; var action: String; var from: String; var to: String; var by: String; var reason: String }
    struct ExperimentRow {
        var id: String; var at: String; var metric: String; var challenger: String; var champion: String; var corpus: String
        var items: Int; var difference: String; var interval: String; var tTest: String; var wilcoxon: String
        var verdict: String; var verdictClass: String; var reason: String
    }
    struct Card {
        var id: String; var version: String; var licence: String; var source: String; var sha: String
        var purpose: String; var training: String; var figures: [ModelCard.Figure]; var command: String; var limits: [String]
    }
    struct Model {
        var champion: Version?
        var versions: [Version]
        var changes: [Change]
        var experiments: [ExperimentRow]
        var cards: [Card]
    }

    func add(to router: Router<APIContext>) {
        router.get("models") { request, context in
            _ = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            let championName = try await store.champion()?.name
            let versions = try await store.configurationVersions().map {
                Version(name: $0.name, sha: String($0.sha256.prefix(16)), by: $0.registeredBy, at: t.date($0.registeredAt),
                        reason: $0.reason, isChampion: $0.name == championName)
            }
            let changes = try await store.championChanges(limit: 20).map {
                Change(at: t.date($0.changedAt), action: t["models_action_\($0.action.rawValue)"], from: $0.previous ?? "—", to: $0.name,
                       by: $0.changedBy, reason: $0.reason)
            }
            let experiments = try await store.experiments(limit: 50).compactMap { try? $0.experiment }.map { row($0, t) }
            let cards = models.manifest.models.map { entry in
                let card = ModelCard.card(for: entry.id)
                return Card(id: entry.id, version: entry.version, licence: entry.license,
                            source: "\(entry.source.registry) \(entry.source.package) \(entry.source.version)", sha: String(entry.sha256.prefix(16)),
                            purpose: card?.purpose ?? "", training: card?.trainingData ?? "", figures: card?.measuredHere ?? [],
                            command: card?.command ?? "", limits: card?.knownLimits ?? [])
            }
            let model = Model(champion: versions.first(where: \.isChampion), versions: versions, changes: changes, experiments: experiments, cards: cards)
            return pages.render("models", title: t["models_title"], model: model, request: request, context: context)
        }
    }

    private func row(_ experiment: Experiment, _ t: InterfaceText) -> ExperimentRow {
        let comparison = experiment.comparison
        func p(_ value: Double?) -> String { value.map { $0 < 0.0001 ? "< 0.0001" : t.number($0, decimals: 4) } ?? "—" }
        return ExperimentRow(
            id: String(experiment.id.prefix(8)), at: t.date(experiment.createdAt), metric: experiment.metric.rawValue,
            challenger: experiment.challenger.name, champion: experiment.champion.name,
            corpus: "\(URL(fileURLWithPath: experiment.corpus.path).lastPathComponent) (\(experiment.corpus.manifestSHA256.prefix(8)))",
            items: experiment.items.count, difference: (comparison.meanDifference >= 0 ? "+" : "") + t.number(comparison.meanDifference, decimals: 4),
            interval: comparison.confidenceInterval95.map { "[\(t.number($0.lower, decimals: 4)); \(t.number($0.upper, decimals: 4))]" } ?? "—",
            tTest: p(experiment.pairedTTest?.pValue), wilcoxon: p(experiment.wilcoxon?.pValue),
            verdict: t["models_verdict_\(experiment.verdict.rawValue)"], verdictClass: experiment.verdict.rawValue, reason: experiment.reason)
    }
}
