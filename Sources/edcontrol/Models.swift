import ArgumentParser
import EdControlEngine
import EdControlLab
import EdControlService
import EdControlStorage
import Foundation

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Installed models, and the registry of analysis configurations with its champion.",
        subcommands: [List.self, Register.self, Promote.self, Rollback.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List installed models (each file checked against its sha256, with its card) and the registered configurations.")

        @OptionGroup var models: ModelOptions
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let registry = try reportingErrors { try models.registry() }
            print("models in \(registry.directory.path) (installed \(registry.manifest.installedAt))")
            var damaged = 0
            for entry in registry.manifest.models {
                let intact = registry.verify(entry)
                if !intact { damaged += 1 }
                print("""

                \(entry.id) \(entry.version)  [\(entry.task)]
                  file     \(entry.file) (\(entry.bytes) bytes)
                  sha256   \(entry.sha256)  \(intact ? "OK: file matches" : "MISMATCH: file changed or missing")
                  source   \(entry.source.registry) \(entry.source.package) \(entry.source.version): \(entry.source.path)
                  package  sha256 \(entry.source.packageSHA256)
                  licence  \(entry.license)\(entry.conversion.map { "\n  converted by \($0)" } ?? "")
                """)
                if let card = ModelCard.card(for: entry.id) {
                    print("  for      \(card.purpose)\n  trained  \(card.trainingData)")
                    for figure in card.measuredHere { print("  measured \(figure.what): \(figure.value) — \(figure.data)") }
                    for limit in card.knownLimits { print("  limit    \(limit)") }
                }
            }
            if FileManager.default.fileExists(atPath: dataOptions.data) {
                let (_, store) = try await dataOptions.open()
                try await printRegistry(store)
            } else {
                print("\nno registry: \(dataOptions.data) does not exist (pass --data)")
            }
            if damaged > 0 {
                throw ValidationFailure(message: "\(damaged) model file(s) do not match the manifest; re-run scripts/setup.sh.")
            }
        }

        private func printRegistry(_ store: any EdControlStore) async throws {
            let versions = try await store.configurationVersions()
            let champion = try await store.champion()?.name
            print("\nconfigurations in \(dataOptions.data) (\(versions.count); the champion analyses every lesson)")
            for version in versions {
                print("\(version.name == champion ? "* champion " : "           ")\(version.name)  sha256 \(version.sha256.prefix(16))…  "
                      + "registered \(ISO8601DateFormatter().string(from: version.registeredAt)) by \(version.registeredBy): \(version.reason)")
            }
            let changes = try await store.championChanges(limit: 10)
            if !changes.isEmpty { print("\nchampion changes (newest first)") }
            for change in changes {
                print("  \(ISO8601DateFormatter().string(from: change.changedAt))  \(change.action.rawValue) \(change.previous ?? "(none)") → \(change.name)  by \(change.changedBy): \(change.reason)")
            }
            if let (run, shadow) = try await ShadowComparison.latest(from: store) {
                print("""

                shadow run: \(run.name) on \(Int((run.share * 100).rounded())) % of lessons since \(ISO8601DateFormatter().string(from: run.startedAt)) by \(run.startedBy)\(run.stoppedAt == nil ? "" : " (stopped)")
                  \(shadow.lessons) lessons, same flag on \(shadow.sameFlag); incidents champion \(shadow.championIncidents), challenger \(shadow.challengerIncidents), paired \(shadow.pairedIncidents)
                  reviewed lessons \(shadow.reviewedLessons): confirmed/judged champion \(shadow.champion.confirmed)/\(shadow.champion.judged), challenger \(shadow.challengerJudged.confirmed)/\(shadow.challengerJudged.judged); the Models page has the paired statistics
                """)
            }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a configuration document under a new name (immutable; it does not become the champion).")

        @Argument(help: "The version's name: letters, digits, '.', '_' and '-'.")
        var name: String

        @Option(name: .long, help: "The configuration (JSON, any subset of what `edcontrol config` prints; the rest from the built-in one).")
        var config: String

        @OptionGroup var change: ChangeOptions
        @OptionGroup var models: ModelOptions
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let registry = try reportingErrors { try models.registry() }
            let document = try reportingErrors {
                try AnalysisConfiguration.load(from: URL(fileURLWithPath: config), defaults: .standard(installedIn: registry))
            }
            let (_, store) = try await dataOptions.open()
            let version = try await refusals {
                try await ConfigurationRegistry(store: store, models: registry).register(document, name: name, by: change.by, reason: change.reason)
            }
            print("registered \(version.name) (sha256 \(version.sha256)); compare it with `edcontrol experiment compare --challenger \(version.name) …`, then `edcontrol models promote \(version.name)`")
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a registered configuration the champion: every analysis from now on uses it.")

        @Argument(help: "The registered version's name.")
        var name: String

        @OptionGroup var change: ChangeOptions
        @OptionGroup var models: ModelOptions
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let registry = try reportingErrors { try models.registry() }
            let (_, store) = try await dataOptions.open()
            let promoted = try await refusals {
                try await ConfigurationRegistry(store: store, models: registry).promote(name, by: change.by, reason: change.reason)
            }
            print("\(promoted.name) is the champion (it replaced \(promoted.previous ?? "no earlier champion"))")
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give the championship back to the configuration the current champion replaced.")

        @OptionGroup var change: ChangeOptions
        @OptionGroup var models: ModelOptions
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let registry = try reportingErrors { try models.registry() }
            let (_, store) = try await dataOptions.open()
            let rolledBack = try await refusals {
                try await ConfigurationRegistry(store: store, models: registry).rollback(by: change.by, reason: change.reason)
            }
            print("\(rolledBack.name) is the champion again (\(rolledBack.previous ?? "") rolled back)")
        }
    }
}

/// Who changes the registry and why: both are kept with the change.
struct ChangeOptions: ParsableArguments {
    @Option(name: .long, help: "Why (kept in the registry's log).")
    var reason: String

    @Option(name: .long, help: "Who (default: the user running the command).")
    var by = commandUser

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why.") }
    }
}

/// A store's or library's refusal in its own words, instead of a Swift error.
func refusals<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let conflict as StoreConflict {
        throw ValidationFailure(message: conflict.message)
    } catch let error as LocalizedError where error.errorDescription != nil {
        throw ValidationFailure(message: error.errorDescription!)
    }
}
