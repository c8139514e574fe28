import Crypto
import Foundation

/// Where a model file came from and what it is: written by scripts/install-models.py,
/// read by the analyser (to find files) and by reports (lineage).
public struct ModelManifest: Codable, Sendable {
    public struct Source: Codable, Sendable, Hashable {
        /// Registry package that ships the weights, e.g. `silero-vad` on PyPI.
        public var package: String
        public var registry: String
        public var version: String
        /// Path of the original file inside the package.
        public var path: String
        public var packageSHA256: String
    }

    public struct Entry: Codable, Sendable, Hashable {
        public var id: String
        public var version: String
        public var task: String
        /// File name inside the models directory.
        public var file: String
        public var sha256: String
        public var bytes: Int64
        public var license: String
        public var source: Source
        /// Script that turned the package's file into `file`, if it was converted.
        public var conversion: String?
    }

    public var schemaVersion: Int
    public var installedAt: String
    public var models: [Entry]
}

public enum ModelError: Error, CustomStringConvertible, LocalizedError {
    case notInstalled(directory: String)
    case missing(id: String, directory: String)
    case unusable(String, reason: String)
    case checksumMismatch(id: String, path: String)
    /// The configuration pins another file of this model than the one installed.
    case notConfigured(id: String, configured: String, installed: String)
    /// A loaded network failed to run.
    case inference(String)

    public var description: String {
        switch self {
        case .notInstalled(let directory):
            return "No models are installed in \(directory) (manifest.json is missing). Run scripts/setup.sh, or pass --models-dir."
        case .missing(let id, let directory):
            return "Model '\(id)' is not listed in \(directory)/manifest.json. Re-run scripts/setup.sh to install it."
        case .unusable(let path, let reason):
            return "\(path): \(reason). Re-run scripts/setup.sh to reinstall the models."
        case .checksumMismatch(let id, let path):
            return "Model '\(id)' at \(path) does not match the sha256 in its manifest: the file was changed or damaged. Re-run scripts/setup.sh."
        case .notConfigured(let id, let configured, let installed):
            return "The configuration wants model '\(id)' with sha256 \(configured.prefix(12))…, but the installed file is \(installed.prefix(12))…. Install that file, or use a configuration made for the installed models (`edcontrol config` prints one)."
        case .inference(let reason):
            return "a model failed to run: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// The installed models of one directory.
public struct ModelRegistry: Sendable {
    public let directory: URL
    public let manifest: ModelManifest

    /// `EDCONTROL_MODELS`, else `~/.local/share/edcontrol/models` (where setup installs them).
    public static var defaultDirectory: URL {
        if let configured = ProcessInfo.processInfo.environment["EDCONTROL_MODELS"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".local/share/edcontrol/models")
    }

    public init(directory: URL = ModelRegistry.defaultDirectory) throws {
        self.directory = directory
        let manifestURL = directory.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: manifestURL) else {
            throw ModelError.notInstalled(directory: directory.path)
        }
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: data)
        } catch {
            throw ModelError.unusable(manifestURL.path, reason: "the manifest cannot be read (\(error))")
        }
    }

    public func entry(_ id: String) throws -> ModelManifest.Entry {
        guard let entry = manifest.models.first(where: { $0.id == id }) else {
            throw ModelError.missing(id: id, directory: directory.path)
        }
        return entry
    }

    public func path(of id: String) throws -> String {
        directory.appendingPathComponent(try entry(id).file).path
    }

    /// Recomputes the file's sha256 and compares it with the manifest.
    public func verify(_ entry: ModelManifest.Entry) -> Bool {
        let url = directory.appendingPathComponent(entry.file)
        return (try? SHA256Digest.ofFile(at: url)) == entry.sha256
    }

    /// The installed file of a pinned model: installed with the pin's very sha256, its bytes
    /// checked against it. The bytes are hashed once per process while the file keeps its
    /// size and modification time (a worker checks its champion's at start, not at every job).
    public func verifiedPath(of pin: ModelReference) throws -> String {
        let entry = try entry(pin.id)
        guard entry.sha256 == pin.sha256 else {
            throw ModelError.notConfigured(id: pin.id, configured: pin.sha256, installed: entry.sha256)
        }
        let path = directory.appendingPathComponent(entry.file).path
        guard hashed.matches(path: path, sha256: entry.sha256) else { throw ModelError.checksumMismatch(id: pin.id, path: path) }
        return path
    }

    /// Files hashed in this process (shared by copies of the registry).
    private let hashed = HashedFiles()
}

/// Model files whose sha256 this process has computed, each with the size and modification
/// time it had then: a file that still has them is not read again.
final class HashedFiles: @unchecked Sendable {
    // @unchecked: `known` is only touched under `lock`.
    private struct Stamp: Equatable {
        var size: Int
        var modified: Date
        var sha256: String
    }

    private let lock = NSLock()
    private var known: [String: Stamp] = [:]

    func matches(path: String, sha256: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.intValue, let modified = attributes[.modificationDate] as? Date else { return false }
        if let stamp = lock.withLock({ known[path] }), stamp.size == size, stamp.modified == modified {
            return stamp.sha256 == sha256
        }
        guard let digest = try? SHA256Digest.ofFile(at: URL(fileURLWithPath: path)) else { return false }
        lock.withLock { known[path] = Stamp(size: size, modified: modified, sha256: digest) }
        return digest == sha256
    }
}

public enum SHA256Digest {
    /// Hex sha256 of a file, read in blocks so large files need no large buffer.
    public static func ofFile(at url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            hasher.update(data: block)
        }
        return hasher.finalize().hexadecimal
    }

    public static func of(_ data: Data) -> String { SHA256.hash(data: data).hexadecimal }
}

/// A versioned JSON document (a configuration, incident rules, a lexicon): what reports pin by
/// hash and commands print.
public protocol JSONDocument: Encodable {}

extension JSONDocument {
    /// Identifies the document: the sha256 of its JSON with sorted keys.
    public var sha256: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256Digest.of((try? encoder.encode(self)) ?? Data())
    }

    /// Pretty JSON with sorted keys, as commands print it.
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }
}

enum ModelFileCheck {
    /// A whisper.cpp model starts with the ggml magic 0x67676d6c, little-endian.
    static func requireGGML(at path: String, purpose: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelError.unusable(path, reason: "the \(purpose) model file is missing")
        }
        defer { try? handle.close() }
        guard (try? handle.read(upToCount: 4)) == Data([0x6c, 0x6d, 0x67, 0x67]) else {
            throw ModelError.unusable(path, reason: "the \(purpose) model is not a whisper.cpp (ggml) file")
        }
    }

    /// An ONNX file is a protobuf ModelProto whose first field is `ir_version` (tag 0x08).
    static func requireONNX(at path: String, purpose: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelError.unusable(path, reason: "the \(purpose) model file is missing")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        guard head.count == 16, head.first == 0x08 else {
            throw ModelError.unusable(path, reason: "the \(purpose) model is not an ONNX file")
        }
    }
}
