import EdControlEngine
import Foundation

/// What an experiment scores a configuration by, per item of a corpus.
public enum ExperimentMetric: String, Codable, Sendable, CaseIterable {
    /// Diarization error rate (collar ±0.25 s, overlap scored) against NAME.rttm.
    case der
    /// Frame-level speech detection F1 (speakers ignored) against NAME.rttm.
    case vadF1 = "vad-f1"
    /// Incident F1 (one-to-one at temporal IoU ≥ 0.5) against the labelled episodes.
    case incidentF1 = "incident-f1"
    /// Whether each labelled face picture's expression is read right (1 or 0).
    case emotionAccuracy = "emotion-accuracy"

    public var higherIsBetter: Bool { self != .der }

    /// The references an item of this metric needs, by the suffix after NAME.
    var referenceSuffixes: [String] {
        switch self {
        case .der, .vadF1: return [".rttm"]
        // lessongen's planted episodes, and what a school's confirmed reviews export.
        case .incidentF1: return [".facial-episodes.json", ".raised-voice.json", ".episodes.json"]
        case .emotionAccuracy: return []
        }
    }
}

/// A labelled face picture: `labels.json` of `eval emotions` lists them.
public struct LabelledExpression: Codable, Sendable {
    public var image: String
    public var emotion: Emotion
    /// Where the face is; nil: the largest face found, or the whole picture.
    public var face: FaceBox?
}

/// The items of a labelled corpus, pinned by its manifest: the data is versioned like the
/// code, and an experiment records which version it ran on.
public struct EvaluationCorpus: Sendable {
    public struct Item: Sendable {
        public var id: String
        /// The recording, or the picture.
        public var media: URL
        /// Files with the truth (for pictures: none, the label is `expression`).
        public var references: [URL]
        public var expression: LabelledExpression?
    }

    public let location: URL
    /// sha256 of the manifest file, or (without one) of the list of the items' files with
    /// their sha256s, so the same data always gives the same hash.
    public let manifestSHA256: String
    /// The manifest that pinned the files (MANIFEST.json, SHA256SUMS, labels.json), if any.
    public let manifest: String?
    public let items: [Item]

    static let mediaExtensions: Set<String> = ["wav", "flac", "mp3", "m4a", "ogg", "opus", "mp4", "mkv", "webm", "mov"]

    /// Reads a corpus: a folder (with its MANIFEST.json or SHA256SUMS if it has one), a
    /// manifest file inside one, or for `emotion-accuracy` a labels.json. Every file the
    /// manifest lists must still have its sha256, so a changed corpus is not taken for the
    /// version that was measured.
    public static func load(_ path: String, metric: ExperimentMetric) throws -> EvaluationCorpus {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CorpusError("\(path): no such corpus folder or manifest.")
        }
        let given = URL(fileURLWithPath: path)
        if metric == .emotionAccuracy {
            return try loadPictures(isFolder.boolValue ? given.appendingPathComponent("labels.json") : given)
        }
        let folder = isFolder.boolValue ? given : given.deletingLastPathComponent()
        let manifest = isFolder.boolValue
            ? ["MANIFEST.json", "SHA256SUMS"].map(folder.appendingPathComponent).first { FileManager.default.fileExists(atPath: $0.path) }
            : given
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        var items: [Item] = []
        for name in names where mediaExtensions.contains((name as NSString).pathExtension.lowercased()) {
            let id = (name as NSString).deletingPathExtension
            let references = metric.referenceSuffixes.map { folder.appendingPathComponent(id + $0) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
            if !references.isEmpty {
                items.append(Item(id: id, media: folder.appendingPathComponent(name), references: references))
            }
        }
        guard !items.isEmpty else {
            throw CorpusError("\(folder.path): no recording has its reference (\(metric.referenceSuffixes.map { "NAME\($0)" }.joined(separator: " or "))) beside it.")
        }
        let files = items.flatMap { [$0.media] + $0.references }
        if let manifest {
            try verify(files, against: manifest)
            return EvaluationCorpus(location: folder, manifestSHA256: try SHA256Digest.ofFile(at: manifest), manifest: manifest.lastPathComponent, items: items)
        }
        let listing = try files.map { "\(try SHA256Digest.ofFile(at: $0))  \($0.lastPathComponent)\n" }.joined()
        return EvaluationCorpus(location: folder, manifestSHA256: SHA256Digest.of(Data(listing.utf8)), manifest: nil, items: items)
    }

    private static func loadPictures(_ labels: URL) throws -> EvaluationCorpus {
        guard let data = FileManager.default.contents(atPath: labels.path) else {
            throw CorpusError("\(labels.path): cannot read it; emotion-accuracy takes a labels.json (a list of {image, emotion, face}) or its folder.")
        }
        let pictures: [LabelledExpression]
        do { pictures = try JSONDecoder().decode([LabelledExpression].self, from: data) } catch {
            throw CorpusError("\(labels.path): not a list of {image, emotion, face} (\(error.localizedDescription)).")
        }
        guard !pictures.isEmpty else { throw CorpusError("\(labels.path): lists no pictures.") }
        let folder = labels.deletingLastPathComponent()
        let items = pictures.map { Item(id: $0.image, media: folder.appendingPathComponent($0.image), references: [], expression: $0) }
        for item in items where !FileManager.default.fileExists(atPath: item.media.path) {
            throw CorpusError("\(labels.path): the picture \(item.id) is missing.")
        }
        // The labels pin the truth; the pictures' own hashes pin what was labelled.
        let listing = try ([labels] + items.map(\.media)).map { "\(try SHA256Digest.ofFile(at: $0))  \($0.lastPathComponent)\n" }.joined()
        return EvaluationCorpus(location: folder, manifestSHA256: SHA256Digest.of(Data(listing.utf8)), manifest: labels.lastPathComponent, items: items)
    }

    /// Each file must be listed by the manifest (MANIFEST.json `files: [{file, sha256}]`, or
    /// `sha256  name` lines) with the sha256 it has now.
    private static func verify(_ files: [URL], against manifest: URL) throws {
        guard let data = FileManager.default.contents(atPath: manifest.path) else { throw CorpusError("\(manifest.path): cannot read the manifest.") }
        var pinned: [String: String] = [:]
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let listed = object["files"] as? [[String: Any]] {
            for entry in listed {
                if let file = entry["file"] as? String, let sha = entry["sha256"] as? String { pinned[file] = sha }
            }
        } else {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { pinned[parts[1].hasPrefix("*") ? String(parts[1].dropFirst()) : parts[1]] = parts[0] }
            }
        }
        guard !pinned.isEmpty else { throw CorpusError("\(manifest.path): lists no files with their sha256 (MANIFEST.json `files` or SHA256SUMS lines).") }
        for file in files {
            guard let expected = pinned[file.lastPathComponent] else {
                throw CorpusError("\(file.lastPathComponent) is not pinned by \(manifest.lastPathComponent): add it with its sha256, or move it out of the corpus.")
            }
            guard try SHA256Digest.ofFile(at: file) == expected else {
                throw CorpusError("\(file.lastPathComponent) has changed since \(manifest.lastPathComponent) pinned it (sha256 differs): rebuild the corpus or its manifest.")
            }
        }
    }
}

public struct CorpusError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
