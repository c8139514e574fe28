import EdControlCore
import Foundation

/// Accepts an uploaded recording: checks with ffprobe that it is media the analysis can
/// use, moves it into the lesson's folder, and stores the lesson with its first job. A
/// refused file is deleted and nothing is stored.
public struct LessonIntake: Sendable {
    public struct Refusal: Error, LocalizedError {
        public enum Kind: Sendable { case notMedia, unprocessable }
        public var kind: Kind
        public var message: String
        public var errorDescription: String? { message }
    }

    /// What the uploader said about the recording.
    public struct Details: Sendable {
        public var title: String?
        public var originalFilename: String
        public var teacherID: String?
        public var recordedAt: Date?

        public init(title: String?, originalFilename: String, teacherID: String?, recordedAt: Date?) {
            self.title = title
            self.originalFilename = originalFilename
            self.teacherID = teacherID
            self.recordedAt = recordedAt
        }
    }

    let store: EdControlStore
    let data: DataDirectory
    let maxAttempts: Int
    let probe: MediaProbing

    public init(store: EdControlStore, data: DataDirectory, maxAttempts: Int = 3, probe: MediaProbing = FFprobe()) {
        self.store = store
        self.data = data
        self.maxAttempts = maxAttempts
        self.probe = probe
    }

    /// Takes ownership of `upload` (a file in the uploads folder): it ends up in the lesson's
    /// folder, or is deleted.
    public func accept(_ upload: URL, details: Details, by principal: Principal) async throws -> LessonWithJob {
        var moved = false
        defer { if !moved { try? FileManager.default.removeItem(at: upload) } }
        let media: MediaInfo
        do {
            media = try probe.probe(upload)
        } catch let error as MediaError {
            throw Refusal(kind: .notMedia, message: Self.words(error, file: details.originalFilename))
        }
        // A recording without sound is taken: its faces are analysed.
        guard !media.audio.isEmpty || !media.video.isEmpty else {
            throw Refusal(kind: .unprocessable,
                          message: Self.words(MediaError.noAudioTrack(upload.path, hasVideo: false), file: details.originalFilename))
        }
        guard media.durationSeconds >= 1 else {
            throw Refusal(kind: .unprocessable, message: Self.words(MediaError.tooShort(upload.path, seconds: media.durationSeconds), file: details.originalFilename))
        }
        if let teacherID = details.teacherID, try await store.teacher(id: teacherID, schoolID: principal.schoolID) == nil {
            throw Refusal(kind: .unprocessable, message: "there is no teacher \(teacherID) in this school; create the teacher first or leave teacherId out")
        }

        let id = newIdentifier()
        let fileName = "recording." + Self.fileExtension(for: details.originalFilename, container: media.container)
        let folder = data.lessonDirectory(id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: upload, to: folder.appendingPathComponent(fileName))
        moved = true
        let lesson = Lesson(id: id, schoolID: principal.schoolID, teacherID: details.teacherID,
                            title: details.title ?? (details.originalFilename as NSString).deletingPathExtension,
                            originalFilename: details.originalFilename, mediaBytes: media.sizeBytes, mediaFile: fileName,
                            durationSeconds: media.durationSeconds, hasVideo: !media.video.isEmpty, recordedAt: details.recordedAt,
                            uploadedAt: Date(), uploadedBy: principal.tokenName, flag: nil, incidentCount: nil,
                            teacherTalkPercent: nil, speakerCount: nil, teacherNegativeShare: nil, analysedAt: nil)
        do {
            let job = try await store.addLesson(lesson, maxAttempts: maxAttempts)
            return LessonWithJob(lesson: lesson, job: job)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// A media error in the uploader's terms: their file name, not a path on the server.
    static func words(_ error: MediaError, file: String) -> String {
        let text = error.description
        guard let colon = text.range(of: ": ") else { return text }
        return "\(file): \(text[colon.upperBound...])"
    }

    /// The uploaded name's extension if it is a plain one, else one for the container.
    static func fileExtension(for name: String, container: String) -> String {
        let given = (name as NSString).pathExtension.lowercased()
        if !given.isEmpty, given.count <= 5, given.allSatisfy({ $0.isLetter || $0.isNumber }) { return given }
        return container.split(separator: ",").first.map(String.init) ?? "media"
    }
}
