import EdControlEngine
import EdControlLab
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/models` (admins): the analysis configurations in the registry with the champion, the
/// log of champion changes, the experiments that compared configurations, the shadow run's
/// comparison with the champion on real lessons, and each installed model's card. Read-only: the champion analyses every school's lessons, so it
/// is changed by the installation's operator (`edcontrol models promote|rollback`).
struct ModelsPage {
    let store: any RegistryStore & ShadowStore & ReviewStore
    let models: ModelRegistry
    let pages: PageRenderer

    struct Version { var name: String; var sha: String; var by: String; var at: String; var reason: String; var isChampion: Bool }
    struct Change { var at: String; var action: String; var from: String; var to: String; var by: String; var reason: String }
    struct ExperimentRow {
        var id: String; var at: String; var metric: String; var challenger: String; var champion: String; var corpus: String
        var items: Int; var difference: String; var interval: String; var tTest: String; var wilcoxon: String
        var verdict: String; var verdictClass: String; var reason: String
    }
    /// A model card in the reader's language; its texts are HTML (commands in `<code>`).
    struct Card {
        struct Figure { var what: String; var data: String; var value: String }
        var id: String; var version: String; var licence: String; var source: String; var sha: String
        var purpose: String; var training: String; var figures: [Figure]; var command: String; var limits: [String]
    }
    struct Shadow {
        var name: String; var share: String; var since: String; var by: String; var running: Bool
        var lessons: Int; var sameFlag: String; var flagPairs: [ShadowComparison.FlagPair]
        var championIncidents: Int; var challengerIncidents: Int; var pairedIncidents: Int; var incidentAgreement: String
        var reviewedLessons: Int; var confirmed: Int
        var championJudged: String; var challengerJudged: String; var championFound: Int; var challengerFound: Int
        var pairedLessons: Int; var difference: String; var interval: String; var tTest: String; var wilcoxon: String
        var reviewers: [ReviewerRow]
    }
    struct ReviewerRow { var reviewer: String; var champion: String; var challenger: String }
    struct Model {
        var champion: Version?
        var shadow: Shadow?
        var versions: [Version]
        var changes: [Change]
        var experiments: [ExperimentRow]
        var cards: [Card]
    }

    func add(to router: Router<APIContext>) {
        router.get("models") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            let championName = try await store.champion()?.name
            let versions = try await store.configurationVersions().map {
                Version(name: $0.name, sha: String($0.sha256.prefix(16)), by: $0.registeredBy, at: t.date($0.registeredAt),
                        reason: Self.reason($0.reason, t), isChampion: $0.name == championName)
            }
            let changes = try await store.championChanges(limit: 20).map {
                Change(at: t.date($0.changedAt), action: t["models_action_\($0.action.rawValue)"], from: $0.previous ?? "—", to: $0.name,
                       by: $0.changedBy, reason: Self.reason($0.reason, t))
            }
            let experiments = try await store.experiments(limit: 50).compactMap { try? $0.experiment }.map { row($0, t) }
            let cards = models.manifest.models.map { entry in
                let card = ModelCard.card(for: entry.id)
                return Card(id: entry.id, version: entry.version, licence: entry.license,
                            source: "\(entry.source.registry) \(entry.source.package) \(entry.source.version)", sha: String(entry.sha256.prefix(16)),
                            purpose: t.modelCard(card?.purpose ?? ""), training: t.modelCard(card?.trainingData ?? ""),
                            figures: (card?.measuredHere ?? []).map { Card.Figure(what: t.modelCard($0.what), data: t.modelCard($0.data), value: t.modelCard($0.value)) },
                            command: card?.command ?? "", limits: (card?.knownLimits ?? []).map(t.modelCard))
            }
            let shadow = try await ShadowComparison.latest(from: store).map { self.shadow($0.run, $0.comparison.seen(by: caller.schoolID), t) }
            let model = Model(champion: versions.first(where: \.isChampion), shadow: shadow, versions: versions, changes: changes, experiments: experiments, cards: cards)
            return pages.render("models", title: t["models_title"], model: model, request: request, context: context)
        }
    }

    private func shadow(_ run: ShadowRun, _ comparison: ShadowComparison, _ t: InterfaceText) -> Shadow {
        func share(_ value: Double?) -> String { value.map(t.percent) ?? "—" }
        func judged(_ side: ShadowComparison.Judged) -> String {
            "\(side.confirmed) / \(side.judged)" + (side.precision.map { " (\(t.percent($0)))" } ?? "")
        }
        let precision = comparison.precision
        return Shadow(
            name: run.name, share: t.percent(run.share), since: t.date(run.startedAt), by: run.startedBy, running: run.stoppedAt == nil,
            lessons: comparison.lessons, sameFlag: "\(comparison.sameFlag) / \(comparison.lessons) (\(share(comparison.flagAgreement)))",
            flagPairs: comparison.flagPairs, championIncidents: comparison.championIncidents, challengerIncidents: comparison.challengerIncidents,
            pairedIncidents: comparison.pairedIncidents, incidentAgreement: share(comparison.incidentAgreement),
            reviewedLessons: comparison.reviewedLessons, confirmed: comparison.confirmedIncidents,
            championJudged: judged(comparison.champion), challengerJudged: judged(comparison.challengerJudged),
            championFound: comparison.confirmedFoundByChampion, challengerFound: comparison.confirmedFoundByChallenger,
            pairedLessons: precision.items, difference: Self.signed(precision.meanDifference, t), interval: Self.interval(precision, t),
            tTest: Self.p(precision.pairedTTest?.pValue, t), wilcoxon: Self.p(precision.wilcoxon?.pValue, t),
            reviewers: comparison.reviewers.map { ReviewerRow(reviewer: $0.reviewer, champion: judged($0.champion), challenger: judged($0.challenger)) })
    }

    /// A reason the registry wrote itself, in the reader's language; one an operator gave, as given.
    static func reason(_ reason: String, _ t: InterfaceText) -> String {
        switch reason {
        case ConfigurationRegistry.builtInReason: t["models_reason_built_in"]
        case ConfigurationRegistry.firstChampionReason: t["models_reason_first_champion"]
        default: reason
        }
    }

    static func p(_ value: Double?, _ t: InterfaceText) -> String { value.map { $0 < 0.0001 ? "< 0.0001" : t.number($0, decimals: 4) } ?? "—" }
    static func signed(_ value: Double, _ t: InterfaceText) -> String { (value >= 0 ? "+" : "") + t.number(value, decimals: 4) }
    static func interval(_ comparison: PairedComparison, _ t: InterfaceText) -> String {
        comparison.confidenceInterval95.map { "[\(t.number($0.lower, decimals: 4)); \(t.number($0.upper, decimals: 4))]" } ?? "—"
    }

    private func row(_ experiment: Experiment, _ t: InterfaceText) -> ExperimentRow {
        let comparison = experiment.comparison
        return ExperimentRow(
            id: String(experiment.id.prefix(8)), at: t.date(experiment.createdAt), metric: experiment.metric.rawValue,
            challenger: experiment.challenger.name, champion: experiment.champion.name,
            corpus: "\(URL(fileURLWithPath: experiment.corpus.path).lastPathComponent) (\(experiment.corpus.manifestSHA256.prefix(8)))",
            items: experiment.items.count, difference: Self.signed(comparison.meanDifference, t), interval: Self.interval(comparison, t),
            tTest: Self.p(experiment.pairedTTest?.pValue, t), wilcoxon: Self.p(experiment.wilcoxon?.pValue, t),
            verdict: t["models_verdict_\(experiment.verdict.rawValue)"], verdictClass: experiment.verdict.rawValue, reason: experiment.reason)
    }
}
