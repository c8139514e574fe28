import EdControlEngine
import EdControlStorage
import Foundation

/// The registry as the workers, the pages and the command line use it: which configuration
/// analyses lessons, and how a new one becomes the champion.
public struct ConfigurationRegistry: Sendable {
    public let store: RegistryStore
    public let models: ModelRegistry

    public init(store: RegistryStore, models: ModelRegistry) {
        self.store = store
        self.models = models
    }

    /// Why the built-in configuration was registered and made champion, as the registry
    /// records it (the dashboard shows these two in the reader's language).
    package static let builtInReason = "the built-in configuration, registered at the first analysis"
    package static let firstChampionReason = "the first champion of this installation"

    /// The champion; on an installation that has none yet, the built-in configuration with
    /// the installed models is registered and promoted first, so every report names the
    /// registered version that made it.
    public func champion() async throws -> (name: String, configuration: AnalysisConfiguration) {
        if let champion = try await store.champion() { return (champion.name, try champion.configuration) }
        let standard = AnalysisConfiguration.standard(installedIn: models)
        let name = "built-in-\(standard.sha256.prefix(8))"
        do {
            try await store.register(ConfigurationVersion(name: name, configuration: standard, registeredBy: "edcontrol",
                                                          reason: Self.builtInReason))
            _ = try await store.promote(name, by: "edcontrol", reason: Self.firstChampionReason)
        } catch is StoreConflict {
            // Another worker or process did it at the same moment.
        }
        guard let champion = try await store.champion() else { throw ConfigurationError("the registry has no champion") }
        return (champion.name, try champion.configuration)
    }

    /// Registers a configuration document under a new name.
    public func register(_ configuration: AnalysisConfiguration, name: String, by: String, reason: String) async throws -> ConfigurationVersion {
        guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
            throw ConfigurationError("'\(name)' cannot name a configuration: use up to 64 letters, digits, '.', '_' and '-', starting with a letter or digit.")
        }
        try checkInstalled(configuration)
        _ = try await champion()  // on a fresh installation, the built-in one is registered first: what the new one is compared with
        let version = ConfigurationVersion(name: name, configuration: configuration, registeredBy: by, reason: reason)
        try await store.register(version)
        return version
    }

    /// Makes a registered version the champion, once its models are checked to be installed.
    public func promote(_ name: String, by: String, reason: String) async throws -> ChampionChange {
        guard let version = try await store.configurationVersion(named: name) else {
            throw StoreConflict(message: "there is no configuration named \(name); `edcontrol models list` shows the registered ones")
        }
        try checkInstalled(try version.configuration)
        _ = try await champion()
        return try await store.promote(name, by: by, reason: reason)
    }

    /// A registered version's configuration, once its models are checked to be installed.
    public func installedConfiguration(named name: String) async throws -> AnalysisConfiguration {
        guard let version = try await store.configurationVersion(named: name) else {
            throw ConfigurationError("\(name): there is no such configuration; `edcontrol models list` shows the registered ones, `edcontrol models register` adds one")
        }
        let configuration = try version.configuration
        try checkInstalled(configuration)
        return configuration
    }

    /// Every model the configuration pins must be installed with that very sha256 and
    /// intact, or every analysis with it would fail. Checked when a configuration is
    /// registered, promoted or rolled back to, and when a server or worker starts; the files
    /// are hashed once per process (`ModelRegistry.verifiedPath`), so a job's own check is a
    /// look at each file's size and time.
    public func checkInstalled(_ configuration: AnalysisConfiguration) throws {
        for pin in configuration.models.byJob.map(\.model) { _ = try models.verifiedPath(of: pin) }
    }

    /// Gives the championship back to the configuration the current champion replaced, once
    /// that one's models are checked to be installed.
    public func rollback(by: String, reason: String) async throws -> ChampionChange {
        guard let current = try await store.champion() else { throw StoreConflict(message: "there is no champion to roll back") }
        // The promotion that made the current champion says what it replaced (the store checks it again as it rolls back).
        if let previous = try await store.championChanges(limit: .max).first(where: { $0.name == current.name && $0.action == .promote })?.previous,
           let version = try await store.configurationVersion(named: previous) {
            try checkInstalled(try version.configuration)
        }
        return try await store.rollback(by: by, reason: reason)
    }
}
