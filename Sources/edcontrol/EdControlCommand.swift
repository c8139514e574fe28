import ArgumentParser
import EdControlCore
import Foundation

@main
struct EdControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edcontrol",
        abstract: "Lesson recording analytics: who speaks when, and how the lesson went.",
        version: EdControl.version,
        subcommands: [Analyze.self, EnrollTeacher.self, Evaluate.self, Models.self]
    )
}

/// Options shared by the commands that load models.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Directory of installed models (default: $EDCONTROL_MODELS or ~/.local/share/edcontrol/models).")
    var modelsDir: String?

    func registry() throws -> ModelRegistry {
        try ModelRegistry(directory: modelsDir.map { URL(fileURLWithPath: $0) } ?? ModelRegistry.defaultDirectory)
    }
}

/// Prints a library error's own words and exits non-zero, instead of a stack of Swift types.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as LocalizedError where error.errorDescription != nil {
        throw ValidationFailure(message: error.errorDescription!)
    }
}

struct ValidationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { "error: \(message)" }
}
