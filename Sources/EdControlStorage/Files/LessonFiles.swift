import Foundation
import NIOCore

/// The name of a file (or, as a prefix, of a folder) among a lesson's files: slash-separated
/// components relative to the storage's root, the same string a local folder joins under its
/// root and an object store uses as the object's key. Only the names made here exist, so no
/// code outside an implementation builds a path, and no component is empty, `.`, `..` or
/// holds a slash.
public struct FileName: Hashable, Sendable, CustomStringConvertible {
    /// Components joined by "/", such as `lessons/<id>/recording.mp4`.
    public let path: String

    private init(_ path: String) { self.path = path }

    public var description: String { path }

    /// The last component: the file's own name.
    public var lastComponent: String { String(path.split(separator: "/").last ?? "") }

    /// Every upload being received, and every lesson's files.
    public static let uploads = FileName("uploads"), lessons = FileName("lessons")

    /// An upload being received, before it is a lesson's recording.
    public static func upload(_ id: String) throws -> FileName { try uploads.appending(id + ".part") }

    /// Everything of one lesson: its recording and every set of results.
    public static func lesson(_ lessonID: String) throws -> FileName { try lessons.appending(lessonID) }

    /// The lesson's recording, unless retention has deleted it.
    public static func recording(of lesson: Lesson) throws -> FileName? {
        try lesson.mediaFile.map { try FileName.lesson(lesson.id).appending($0) }
    }

    /// The folder of the lesson's published results: the set its row names (see `ResultsSet`).
    public static func results(of lesson: Lesson) throws -> FileName {
        try results(lessonID: lesson.id, set: lesson.resultsSet ?? ResultsSet.beforeRuns)
    }

    /// One set of a lesson's results, named as `ResultsSet` names them.
    public static func results(lessonID: String, set: String) throws -> FileName {
        try FileName.lesson(lessonID).appending(set)
    }

    /// A shadow run's report of the lesson (never shown to the school).
    public static func shadowReport(lessonID: String, configuration: String) throws -> FileName {
        try FileName.lesson(lessonID).appending("shadow").appending(configuration).appending("report.json")
    }

    /// The name of `component` inside this folder; refused when it is not one component.
    public func appending(_ component: String) throws -> FileName {
        guard !component.isEmpty, component != ".", component != "..", !component.contains("/"),
              !component.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw FileNameError(component: component)
        }
        return FileName(path + "/" + component)
    }

    /// The name of `path` (components separated by "/") inside this folder.
    public func appending(path relative: String) throws -> FileName {
        try relative.split(separator: "/", omittingEmptySubsequences: false).reduce(self) { try $0.appending(String($1)) }
    }

    /// The name of a file found under `prefix` at `relative` (an implementation's listing).
    package static func found(_ relative: String, under prefix: FileName) -> FileName { FileName(prefix.path + "/" + relative) }
}

public struct FileNameError: Error, CustomStringConvertible {
    public let component: String
    public var description: String { "'\(component)' is not a file name (empty, '.', '..', or with a slash or a control character)" }
}

extension Lesson {
    /// Where the API serves the lesson's recording (with byte ranges): what players play,
    /// on the dashboard and in report.html, wherever the file is stored.
    package var recordingAddress: String { "/api/v1/lessons/\(id)/recording" }
}

/// A lesson's results are written by each run of a job into a set of their own
/// (`results-<job>-<attempt>`), which the lesson's row then names in the same transaction
/// that records the job's success: readers see the previous set or the new one whole, and
/// the previous set is deleted only after the switch. Two workers that held the same job one
/// after the other (a lapsed lease) write different sets.
public enum ResultsSet {
    /// The set of lessons published before sets were named: their row names none.
    public static let beforeRuns = "results"

    /// The set a run of `job` writes.
    public static func run(of job: Job) -> String { "results-\(job.id)-\(job.attempts)" }

    /// Whether `name` is a results set of a lesson (to tell them from the recording and
    /// the shadow runs' folder).
    public static func isSet(_ name: String) -> Bool { name == beforeRuns || name.hasPrefix("results-") }
}

/// A file as a listing or a lookup finds it.
public struct StoredFile: Sendable, Equatable {
    public var name: FileName
    public var size: Int64
    public var modified: Date

    package init(name: FileName, size: Int64, modified: Date) {
        self.name = name
        self.size = size
        self.modified = modified
    }
}

/// Asked for a file that is not there (deleted by retention or erasure, or never written).
public struct StoredFileMissing: Error, CustomStringConvertible {
    public let name: FileName
    public init(_ name: FileName) { self.name = name }
    public var description: String { "\(name) is not stored" }
}

/// Where lessons' files live: recordings, uploads being received, results, face pictures,
/// transcripts. The local folder (`LocalFolderFiles`) is the embedded default; an object
/// store is the other kind this is shaped for, so nothing here renames a folder or assumes
/// a path. `FilesConformance` checks an implementation's promises.
public protocol LessonFiles: Sendable {
    /// Stores `bytes` as `name`, replacing any file there: readers see the old file or the
    /// whole new one, never a part. Errors of `bytes` itself come out as they are (an upload
    /// cut off is the body's error, not the storage's). Returns the size stored.
    func put<Bytes: AsyncSequence & Sendable>(_ name: FileName, from bytes: Bytes) async throws -> Int64 where Bytes.Element == ByteBuffer

    /// Stores a small file whole (a report), as `put(_:from:)` does.
    func put(_ name: FileName, data: Data) async throws

    /// Receives a file that is checked before it is kept (an upload): `bytes` are written to
    /// a file on this machine, `check` reads it there (given its size) and names where it is
    /// kept, and only then is it stored under that name, whole. If `bytes` or `check` throw,
    /// or storing fails, nothing is stored; errors of `bytes` come out as they are. Returns
    /// what `check` returned beside the name. The bytes go to the store once: an object store
    /// is never read back for the check nor copied to the kept name.
    func receive<Bytes: AsyncSequence & Sendable, Checked>(
        _ bytes: Bytes, check: (_ local: URL, _ size: Int64) async throws -> (keepAs: FileName, Checked)
    ) async throws -> Checked where Bytes.Element == ByteBuffer

    /// The file's size and time, or nil if there is none.
    func info(_ name: FileName) async throws -> StoredFile?

    /// A small file's bytes (a report), or nil if there is none.
    func contents(of name: FileName) async throws -> Data?

    /// Passes the bytes of `range` (nil: all; clamped to the file) to `consume`, a piece at a
    /// time, never the whole file in memory. Throws `StoredFileMissing` if there is none.
    func read(_ name: FileName, range: Range<Int64>?, into consume: (ByteBuffer) async throws -> Void) async throws

    /// Runs `body` with a path of the file on this machine, for programs that read files
    /// (ffmpeg, the engine). An object store copies it to a scratch folder and deletes the
    /// copy afterwards. Throws `StoredFileMissing` if there is none.
    func withLocalCopy<T>(of name: FileName, _ body: (URL) async throws -> T) async throws -> T

    /// Runs `body` with an empty local folder to fill, whose files then become the files
    /// under `name`. Nothing is under `name` until `body` has returned; then the files
    /// appear with `report.json` last, so a reader that finds it finds every other file.
    /// If `body` throws, nothing is stored.
    func writeFolder(_ name: FileName, _ body: (URL) async throws -> Void) async throws

    /// Every file under the prefix, at any depth.
    func list(under prefix: FileName) async throws -> [StoredFile]

    /// Deletes the file; one already gone is not an error.
    func delete(_ name: FileName) async throws

    /// Deletes every file under the prefix; none there is not an error.
    func deleteAll(under prefix: FileName) async throws

    /// Runs `change`, which changes files and the rows that describe them together
    /// (publishing, erasing, expiring), while no backup is copying them: a backup then holds
    /// both sides of the change or neither.
    func changing<T>(_ change: () async throws -> T) async throws -> T
}
