import Foundation
import Logging
import ServiceLifecycle

/// Deletes, every so often, the recordings older than the retention period (through the
/// lessons' owner, which keeps their reports).
public struct RetentionPolicy: Service {
    public struct Settings: Sendable {
        /// Recordings are deleted this many days after upload; nil keeps them.
        public var days: Double?
        public var checkEverySeconds = 3600.0

        public init() {}
    }

    let lessons: LessonService
    let settings: Settings
    let logger: Logger

    public init(lessons: LessonService, settings: Settings, logger: Logger) {
        self.lessons = lessons
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        guard let days = settings.days else { return try await gracefulShutdown() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await lessons.expireRecordings(uploadedBefore: Date().addingTimeInterval(-days * 86400))
            } catch {
                logger.error("retention check failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(settings.checkEverySeconds)) }
        }
    }
}
