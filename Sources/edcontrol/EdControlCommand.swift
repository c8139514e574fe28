import ArgumentParser
import EdControlEngine
import Foundation
import Logging

@main
struct EdControlCommand: AsyncParsableCommand {
    static func main() async {
        // Logs go to stderr so stdout stays the command's result; EDCONTROL_LOG_LEVEL=debug shows more.
        let level = ProcessInfo.processInfo.environment["EDCONTROL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var service = command as? AsyncParsableCommand {
                try await service.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "edcontrol",
        abstract: "Lesson recording analytics: who speaks when, and how the lesson went.",
        version: EdControl.version,
        subcommands: [Analyze.self, Transcribe.self, EnrollTeacher.self, DetectSpeech.self, Evaluate.self, Models.self, Experiments.self, Drift.self, Dataset.self, Calibrate.self, PrintConfiguration.self, PrintIncidentRules.self, PrintVerbalLexicon.self,
                      Serve.self, Work.self, Queue.self, Tokens.self, Users.self, LTI.self, Backup.self, Restore.self]
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

func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as LocalizedError where error.errorDescription != nil {
        throw ValidationFailure(message: error.errorDescription!)
    }
}

struct ValidationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Who runs the command, as changes to the registry and datasets record it (`--by` overrides).
let commandUser = ProcessInfo.processInfo.environment["USER"] ?? "operator"
