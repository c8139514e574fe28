import EdControlEngine
import EdControlStorage
import Foundation
import NIOCore

/// Reviewers' verdicts turned into a labelled dataset: for each lesson whose every incident
/// has been judged, its recording, the confirmed incidents (as the reviewers corrected
/// them: times, person) as reference episodes
/// (`ID.episodes.json`, what `experiment compare --metric incident-f1` reads) and every verdict
/// with who gave it and when (`ID.verdicts.json`); a MANIFEST.json pins each file by sha256,
/// so the dataset is versioned like the code and an experiment records which version it used.
public struct ReviewDataset: Sendable {
    public struct Item: Codable, Sendable, Equatable {
        public var lesson: String
        public var media: String
        public var confirmed: Int
        public var rejected: Int
        /// Confirmed incidents whose times, person or modality the reviewer corrected.
        public var corrected: Int
        public var reviewers: [String]
        public var firstVerdictAt: Date
        public var lastVerdictAt: Date
    }

    public struct File: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String
        public var bytes: Int64
    }

    public struct Manifest: Codable, Sendable, Equatable {
        public var name: String
        public var school: String
        public var createdAt: Date
        public var createdBy: String
        public var items: [Item]
        /// Lessons left out: some of their incidents were never judged (their unjudged
        /// incidents would count as wrong), or their recording is no longer stored.
        public var partiallyReviewed: Int
        public var withoutRecording: Int
        public var note: String
        public var files: [File]
    }

    let store: any LessonStore & ReviewStore
    let lessonFiles: any LessonFiles

    public init(store: EdControlStore, files: any LessonFiles) {
        self.store = store
        self.lessonFiles = files
    }

    /// Writes the school's dataset into `folder` (which must not exist yet).
    public func export(school: School, to folder: URL, by: String) async throws -> Manifest {
        guard !FileManager.default.fileExists(atPath: folder.path) else {
            throw ConfigurationError("\(folder.path) exists already: a dataset version is never overwritten; choose a new folder.")
        }
        let verdicts = Dictionary(grouping: try await store.reviews(schoolID: school.id), by: \.lessonID)
        let partial = folder.appendingPathExtension("partial")
        try? FileManager.default.removeItem(at: partial)
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        var items: [Item] = [], partiallyReviewed = 0, withoutRecording = 0
        for (lessonID, reviews) in verdicts.sorted(by: { $0.key < $1.key }) {
            guard let lesson = try await store.lesson(id: lessonID, schoolID: school.id)?.lesson, let report = await lessonFiles.report(of: lesson) else { continue }
            guard Set(reviews.map(\.incidentIndex)) == Set(report.incidents.indices) else { partiallyReviewed += 1; continue }
            guard let recording = try FileName.recording(of: lesson), try await lessonFiles.info(recording) != nil else { withoutRecording += 1; continue }
            let media = "\(lessonID).\((recording.lastComponent as NSString).pathExtension.lowercased())"
            try await copy(recording, to: partial.appendingPathComponent(media))
            let confirmed = reviews.filter { $0.verdict == .confirmed }.sorted { $0.labelledSpan.start < $1.labelledSpan.start }
            try Self.write(confirmed.map { SpeakerTurn(start: $0.labelledSpan.start, end: $0.labelledSpan.end, speaker: $0.labelledPerson) },
                           to: partial.appendingPathComponent("\(lessonID).episodes.json"))
            try Self.write(reviews, to: partial.appendingPathComponent("\(lessonID).verdicts.json"))
            let times = reviews.map(\.reviewedAt)
            items.append(Item(lesson: lessonID, media: media, confirmed: confirmed.count, rejected: reviews.count - confirmed.count,
                              corrected: confirmed.filter(\.isCorrected).count,
                              reviewers: Array(Set(reviews.map(\.reviewer))).sorted(), firstVerdictAt: times.min()!, lastVerdictAt: times.max()!))
        }
        let files = try FileManager.default.contentsOfDirectory(at: partial, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { File(file: $0.lastPathComponent, sha256: try SHA256Digest.ofFile(at: $0),
                        bytes: (try $0.resourceValues(forKeys: [.fileSizeKey]).fileSize).map(Int64.init) ?? 0) }
        let manifest = Manifest(
            name: folder.lastPathComponent, school: school.name, createdAt: Date(), createdBy: by, items: items,
            partiallyReviewed: partiallyReviewed, withoutRecording: withoutRecording,
            note: "Labels are reviewers' verdicts on the incidents the analysis found: confirmed ones are the reference episodes. Incidents the analysis missed are not labelled, so recall here is recall of what reviewers confirmed. The recordings show minors: keep this folder on the school's own machines.",
            files: files)
        try Self.write(manifest, to: partial.appendingPathComponent("MANIFEST.json"))
        try FileManager.default.moveItem(at: partial, to: folder)
        return manifest
    }

    /// Streams a stored file into `file`, a piece at a time.
    private func copy(_ name: FileName, to file: URL) async throws {
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path]) }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try await lessonFiles.read(name, range: nil) { piece in try handle.write(contentsOf: piece.readableBytesView) }
    }

    private static func write<T: Encodable>(_ value: T, to file: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(value).write(to: file, options: .atomic)
    }
}
