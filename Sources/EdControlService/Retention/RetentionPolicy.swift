import Foundation
import Logging
import ServiceLifecycle

/// Deletes recordings older than the school's retention period while keeping their reports:
/// lesson videos show minors, and the figures are what schools need to keep.
public struct RetentionPolicy: Service {
    public struct Settings: Sendable {
        /// Recordings are deleted this many days after upload; nil keeps them.
        public var days: Double?
        public var checkEverySeconds = 3600.0

        public init() {}
    }

    let store: EdControlStore
    let data: DataDirectory
    let settings: Settings
    let logger: Logger

    public init(store: EdControlStore, data: DataDirectory, settings: Settings, logger: Logger) {
        self.store = store
        self.data = data
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        guard let days = settings.days else { return try await gracefulShutdown() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await deleteRecordings(olderThan: Date().addingTimeInterval(-days * 86400))
            } catch {
                logger.error("retention check failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(settings.checkEverySeconds)) }
        }
    }

    func deleteRecordings(olderThan cutoff: Date) async throws {
        for lesson in try await store.lessonsWithMedia(uploadedBefore: cutoff) {
            // A lesson being analysed keeps its recording until the analysis ends.
            if let job = try await store.lesson(id: lesson.id, schoolID: lesson.schoolID)?.job, !job.state.isFinished { continue }
            try await store.clearMedia(lessonID: lesson.id)
            if let recording = data.recording(of: lesson) { try? FileManager.default.removeItem(at: recording) }
            try await store.record(AuditEvent(schoolID: lesson.schoolID, actor: "retention policy", action: "media.expired",
                                              target: "lesson \(lesson.id)", detail: "recording \(lesson.originalFilename) deleted; the report is kept"))
            logger.info("recording deleted by the retention policy", metadata: ["lesson": "\(lesson.id)"])
        }
    }
}
