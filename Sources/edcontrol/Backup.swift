import ArgumentParser
import EdControlBackends
import Foundation

/// `edcontrol backup` and `edcontrol restore`: a school's data as one archive, made while the
/// service runs, checked, and restored into a new data folder.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up a data folder while the service runs, or check a backup.",
        subcommands: [Create.self, Verify.self], defaultSubcommand: Create.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Write a consistent backup of the database and every lesson's files (a tar archive with a manifest of sizes and sha256).")

        @OptionGroup var dataOptions: DataOptions

        @Option(name: .long, help: "The archive to write (written under a temporary name, renamed when whole).")
        var out: String

        @Flag(name: .long, help: "No progress bar.")
        var quiet = false

        func run() async throws {
            let backend = try await dataOptions.backend()
            let bar = ProgressBar(enabled: !quiet)
            let manifest = try reportingErrors {
                try backend.backup(to: URL(fileURLWithPath: out)) { bar.update(fraction: $0, label: "backing up") }
            }
            bar.finish()
            let bytes = manifest.files.reduce(0) { $0 + $1.size }
            print("\(out): \(manifest.schools) schools, \(manifest.lessons) lessons, \(manifest.reviews) reviews; "
                  + "\(manifest.files.count) files, \(String(format: "%.1f", Double(bytes) / 1_000_000)) MB; schema \(manifest.schemaVersion)"
                  + (manifest.missing.isEmpty ? "" : "; \(manifest.missing.count) gone while backing up: \(manifest.missing.prefix(3).joined(separator: ", "))"))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a backup: every file's sha256 and size, and that its database opens and passes SQLite's integrity check.")

        @Argument(help: "The backup archive.")
        var archive: String

        func run() async throws {
            let manifest = try reportingErrors { try Backend.verifyBackup(URL(fileURLWithPath: archive)) }
            print("\(archive): whole; \(manifest.files.count) files, \(manifest.lessons) lessons, schema \(manifest.schemaVersion), "
                  + "made by EdControl \(manifest.softwareVersion) at \(ISO8601DateFormatter().string(from: manifest.snapshotAt))")
        }
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup into a new data folder, checked first and brought to this release's schema.")

    @Argument(help: "The backup archive.")
    var archive: String

    @Option(name: .long, help: "The data folder to restore into; it must be empty or not exist.")
    var data: String

    func run() async throws {
        let manifest = try reportingErrors { try Backend.restoreBackup(URL(fileURLWithPath: archive), into: URL(fileURLWithPath: data)) }
        print("\(data): restored \(manifest.schools) schools, \(manifest.lessons) lessons, \(manifest.reviews) reviews from a backup of "
              + "\(ISO8601DateFormatter().string(from: manifest.snapshotAt)) (schema \(manifest.schemaVersion) → \(Backend.schemaVersion))")
    }
}
