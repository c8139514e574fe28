import EdControlEngine
import EdControlLab
import Foundation

/// A named, immutable analysis configuration (models by sha256, settings, incident rules),
/// with who registered it, when and why.
public struct ConfigurationVersion: Codable, Sendable, Equatable {
    public var name: String
    public var sha256: String
    /// The configuration document, as `edcontrol config` prints it.
    public var document: String
    public var registeredBy: String
    public var registeredAt: Date
    public var reason: String

    public init(name: String, configuration: AnalysisConfiguration, registeredBy: String, reason: String) {
        self.name = name
        sha256 = configuration.sha256
        document = String(decoding: configuration.json, as: UTF8.self)
        self.registeredBy = registeredBy
        registeredAt = Date()
        self.reason = reason
    }

    public var configuration: AnalysisConfiguration {
        get throws {
            do { return try JSONDecoder().decode(AnalysisConfiguration.self, from: Data(document.utf8)) } catch {
                throw ConfigurationError("configuration \(name) cannot be read by this version of EdControl (\(error)); register it again from `edcontrol config`.")
            }
        }
    }
}

/// A change of champion: the log of promotions and rollbacks, which is their audit trail.
public struct ChampionChange: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable { case promote, rollback }

    public var id: Int64?
    /// The champion from this change on, and the one it replaced.
    public var name: String
    public var previous: String?
    public var action: Action
    public var changedBy: String
    public var changedAt: Date
    public var reason: String

    package init(id: Int64? = nil, name: String, previous: String? = nil, action: Action, changedBy: String, changedAt: Date,
                 reason: String) {
        self.id = id
        self.name = name
        self.previous = previous
        self.action = action
        self.changedBy = changedBy
        self.changedAt = changedAt
        self.reason = reason
    }
}

/// An experiment as stored: the fields lists filter on, and the whole result.
public struct ExperimentRecord: Codable, Sendable, Equatable {
    public var id: String
    public var createdAt: Date
    public var createdBy: String
    public var metric: String
    /// sha256s of the corpus manifest and of the two configurations (named so that the
    /// column names map back to them).
    public var corpusHash: String
    public var championHash: String
    public var challengerHash: String
    public var verdict: String
    /// The `Experiment` as JSON.
    public var result: String

    public init(_ experiment: Experiment) throws {
        id = experiment.id
        createdAt = experiment.createdAt
        createdBy = experiment.createdBy
        metric = experiment.metric.rawValue
        corpusHash = experiment.corpus.manifestSHA256
        championHash = experiment.champion.sha256
        challengerHash = experiment.challenger.sha256
        verdict = experiment.verdict.rawValue
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        result = String(decoding: try encoder.encode(experiment), as: UTF8.self)
    }

    public var experiment: Experiment {
        get throws {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(Experiment.self, from: Data(result.utf8))
        }
    }
}

/// The installation's registry of analysis configurations (one of them the champion that
/// analyses every school's lessons) and the experiments that compared them. It spans all
/// schools, like the models it pins.
public protocol RegistryStore: Sendable {
    /// Refused (StoreConflict) when the name is taken or the same document is registered
    /// under another name: versions are immutable and identified by their content.
    func register(_ version: ConfigurationVersion) async throws
    /// Newest first.
    func configurationVersions() async throws -> [ConfigurationVersion]
    func configurationVersion(named name: String) async throws -> ConfigurationVersion?
    /// The version that analyses lessons; nil before the first promotion.
    func champion() async throws -> ConfigurationVersion?
    /// Makes a registered version the champion.
    func promote(_ name: String, by: String, reason: String) async throws -> ChampionChange
    /// Gives the championship back to the version the current champion replaced when it
    /// was promoted; refused when there is none.
    func rollback(by: String, reason: String) async throws -> ChampionChange
    /// Newest first.
    func championChanges(limit: Int) async throws -> [ChampionChange]
    func saveExperiment(_ experiment: ExperimentRecord) async throws
    /// Newest first.
    func experiments(limit: Int) async throws -> [ExperimentRecord]
}
