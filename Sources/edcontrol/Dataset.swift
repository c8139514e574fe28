import ArgumentParser
import EdControlEngine
import EdControlService
import Foundation

struct Dataset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Labelled datasets made from reviewers' verdicts.",
        subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a school's fully reviewed lessons as a versioned labelled dataset (recordings, confirmed incidents, verdicts, MANIFEST.json with sha256s).",
            discussion: "The folder is a corpus for `edcontrol experiment compare --metric incident-f1 --corpus FOLDER`.")

        @Option(name: .long, help: "The school whose reviews to export.")
        var school: String

        @Option(name: .long, help: "A new folder for this version of the dataset, e.g. reviews-2026-12-01.")
        var out: String

        @Option(name: .long, help: "Who exported it (default: the user running the command).")
        var by = commandUser

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let backend = try await dataOptions.backend()
            let store = backend.store
            guard let found = try await store.school(named: school, createIfMissing: false) else {
                throw ValidationFailure(message: "there is no school named \(school) in \(dataOptions.data)")
            }
            let manifest = try await refusals {
                try await ReviewDataset(store: store, files: backend.files).export(school: found, to: URL(fileURLWithPath: out), by: by)
            }
            let confirmed = manifest.items.map(\.confirmed).reduce(0, +), rejected = manifest.items.map(\.rejected).reduce(0, +)
            let corrected = manifest.items.map(\.corrected).reduce(0, +)
            print("wrote \(out): \(manifest.items.count) fully reviewed lessons, \(confirmed) confirmed (\(corrected) corrected by the reviewer) and \(rejected) rejected incidents "
                  + "(\(manifest.partiallyReviewed) partly reviewed and \(manifest.withoutRecording) without their recording left out); "
                  + "MANIFEST.json sha256 \(try SHA256Digest.ofFile(at: URL(fileURLWithPath: out).appendingPathComponent("MANIFEST.json")))")
        }
    }
}
