import Foundation

/// Runs a command-line tool (ffmpeg, ffprobe, espeak-ng, sox) found on PATH.
package struct ExternalTool: Sendable {
    package let name: String

    package init(name: String) { self.name = name }

    var executableURL: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    package struct Output {
        package var status: Int32
        package var stdout: Data
        package var stderr: String
    }

    /// Runs to completion and collects both outputs (for tools with small outputs).
    package func run(_ arguments: [String]) throws -> Output {
        let process = try makeProcess(arguments)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr concurrently so a chatty tool cannot block on a full pipe.
        let errorText = ErrorCollector(err.fileHandleForReading)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: data, stderr: errorText.wait())
    }

    /// Runs the tool and hands its standard output over in blocks of `blockBytes` (the last
    /// one may be shorter), so output of any length streams in constant memory.
    /// Returns the exit status and standard error; if `onBlock` throws, the tool is stopped.
    package func stream(_ arguments: [String], blockBytes: Int, onBlock: (Data) throws -> Void) throws -> (status: Int32, stderr: String) {
        let process = try makeProcess(arguments)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = ErrorCollector(err.fileHandleForReading)
        let reader = out.fileHandleForReading
        var pending = Data()
        do {
            while true {
                let data = reader.readData(ofLength: blockBytes - pending.count)
                if data.isEmpty { break }
                pending.append(data)
                if pending.count == blockBytes {
                    try onBlock(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            if !pending.isEmpty { try onBlock(pending) }
        } catch {
            // Closing our end first: a tool blocked writing into the full pipe then fails
            // with EPIPE and exits; ffmpeg alone would take SIGTERM as a request to finish.
            try? reader.close()
            process.terminate()
            process.waitUntilExit()
            _ = errors.wait()
            throw error
        }
        process.waitUntilExit()
        return (process.terminationStatus, errors.wait().trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func makeProcess(_ arguments: [String]) throws -> Process {
        guard let url = executableURL else { throw MediaError.toolMissing(name) }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        return process
    }
}

/// Drains a pipe on a background thread and hands back what it read.
final class ErrorCollector: @unchecked Sendable {
    // @unchecked: `text` is written once by the reader thread before `done` is signalled
    // and read only after waiting on it.
    private var text = ""
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return text
    }
}
