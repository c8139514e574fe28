import EdControlEngine
import EdControlLab
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/registry` (admins): the analysis configurations with the champion, the log of
/// champion changes, the latest experiments and the latest shadow run with its comparison —
/// what the Models page shows, for scripts.
struct RegistryRoutes {
    let store: any RegistryStore & ShadowStore & ReviewStore

    struct Registry: ResponseEncodable {
        var champion: String?
        var configurations: [ConfigurationVersion]
        var championChanges: [ChampionChange]
        var experiments: [Experiment]
        var shadow: Shadow?
    }

    struct Shadow: Encodable {
        var run: ShadowRun
        var comparison: ShadowComparison
    }

    func add(to api: RouterGroup<APIContext>) {
        api.get("registry") { _, context -> Registry in
            let caller = try context.require(.admin)
            let shadow = try await ShadowComparison.latest(from: store).map { Shadow(run: $0.run, comparison: $0.comparison.seen(by: caller.schoolID)) }
            return Registry(champion: try await store.champion()?.name, configurations: try await store.configurationVersions(),
                            championChanges: try await store.championChanges(limit: 100),
                            experiments: try await store.experiments(limit: 50).compactMap { try? $0.experiment }, shadow: shadow)
        }
    }
}
