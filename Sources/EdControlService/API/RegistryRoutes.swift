import EdControlCore
import Foundation
import Hummingbird

/// `/api/v1/registry` (admins): the analysis configurations with the champion, the log of
/// champion changes and the latest experiments — what the Models page shows, for scripts.
struct RegistryRoutes {
    let store: RegistryStore

    struct Registry: ResponseEncodable {
        var champion: String?
        var configurations: [ConfigurationVersion]
        var championChanges: [ChampionChange]
        var experiments: [Experiment]
    }

    func add(to api: RouterGroup<APIContext>) {
        api.get("registry") { _, context -> Registry in
            _ = try context.require(.admin)
            return Registry(champion: try await store.champion()?.name, configurations: try await store.configurationVersions(),
                            championChanges: try await store.championChanges(limit: 100),
                            experiments: try await store.experiments(limit: 50).compactMap { try? $0.experiment })
        }
    }
}
