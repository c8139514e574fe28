import ArgumentParser
import EdControlCore
import Foundation

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Installed models and their provenance.",
        subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List installed models and check each file against its recorded sha256.")

        @OptionGroup var models: ModelOptions

        func run() throws {
            try reportingErrors {
                let registry = try models.registry()
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
                }
                if damaged > 0 {
                    throw ValidationFailure(message: "\(damaged) model file(s) do not match the manifest; re-run scripts/setup.sh.")
                }
            }
        }
    }
}
