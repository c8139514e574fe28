import EdControlEngine
import EdControlReports
import EdControlStorage
import Foundation
import Logging
import ServiceLifecycle

/// One analysis worker: takes the oldest waiting job, analyses its lesson (or enrols a
/// teacher's voice from it), stores the results, and goes on until shutdown. It holds the job under a lease that it renews with
/// every heartbeat; if the process dies, the lease runs out and another worker takes the
/// job again. On graceful shutdown it stops the analysis and gives the job back.
public struct AnalysisWorker: Service {
    public struct Settings: Sendable {
        public var leaseSeconds = 30.0
        public var heartbeatSeconds = 2.0
        /// How often an idle worker looks for work, if no notice of a queued job wakes it first.
        public var pollSeconds = 1.0

        public init() {}
    }

    let id: String
    /// Publishes the results and records the outcome: the lessons' owner.
    let lessons: LessonService
    let models: ModelRegistry
    let settings: Settings
    let logger: Logger
    var store: EdControlStore { lessons.store }
    var files: any LessonFiles { lessons.files }

    public init(id: String, lessons: LessonService, models: ModelRegistry, settings: Settings = Settings(),
                logger: Logger = Logger(label: "edcontrol.worker")) {
        self.id = id
        self.lessons = lessons
        self.models = models
        self.settings = settings
        var logger = logger
        logger[metadataKey: "worker"] = "\(id)"
        self.logger = logger
    }

    public func run() async throws {
        logger.info("worker started")
        var awayInARow = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var serverAway = false
            do {
                if let job = try await store.claimNext(workerID: id, leaseSeconds: settings.leaseSeconds) {
                    guard await process(job) == .serverAway else {
                        awayInARow = 0
                        continue
                    }
                    serverAway = true
                }
            } catch {
                logger.error("cannot read the job queue", metadata: ["error": "\(error)"])
                serverAway = true
            }
            if serverAway {
                // The database or the file store is away: wait longer each time (to a
                // minute) instead of taking job after job only to give each back.
                awayInARow += 1
                let pause = min(60, settings.pollSeconds * pow(2, Double(awayInARow - 1)))
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(pause)) }
            } else {
                awayInARow = 0
                // Until a job is queued, the next poll, or shutdown.
                await cancelWhenGracefulShutdown { await store.waitForWork(upTo: settings.pollSeconds) }
            }
        }
        logger.info("worker stopped")
    }

    enum Outcome { case done, serverAway }

    private func process(_ job: Job) async -> Outcome {
        switch job.kind {
        case .analysis, .shadow: return await analyse(job)
        case .voiceEnrolment:
            await enrolVoice(job)
            return .done
        }
    }

    /// The database or the file store did not answer: the work is to be done again later,
    /// not failed.
    static func meansServerAway(_ error: Error) -> Bool { error is Unreachable }

    /// Gives the job back with its attempt (if the database answers; if not, its lease runs
    /// out and it is taken again).
    private func handBack(_ job: Job, because error: Error, logger: Logger) async -> Outcome {
        _ = try? await lessons.advance(job, .release, workerID: id)
        logger.warning("analysis stopped: a server is away; the job goes back to the queue", metadata: ["error": "\(error)"])
        return .serverAway
    }

    /// Makes a teacher's voice profile, keeping the job's lease while it runs. It is short
    /// (at most five minutes of speech are embedded), so shutdown waits for it.
    private func enrolVoice(_ job: Job) async {
        var logger = logger
        logger[metadataKey: "job"] = "\(job.id)"
        let started = Date()
        let control = JobControl()
        control.update(stage: .listening, fraction: 0)
        do {
            try await withThrowingTaskGroup(of: Void.self) { [logger] group in
                group.addTask { await heartbeats(job, control: control, logger: logger) }
                defer { control.finish(); group.cancelAll() }
                try await lessons.enrolVoice(job, workerID: id, models: models)
            }
            ServiceMetrics.jobFinished(.succeeded, seconds: Date().timeIntervalSince(started), worker: id)
            logger.info("voice enrolled", metadata: ["teacher": "\(job.teacherID ?? "")"])
        } catch {
            let message = (error as? Refusal)?.description ?? (error as? LocalizedError)?.errorDescription ?? "\(error)"
            let reason = error is Refusal ? "enrolment_refused" : "internal"
            do {
                _ = try await lessons.advance(job, .fail(reason: reason, message: message), workerID: id)
            } catch {
                logger.error("cannot record the job's outcome; its lease will expire and it will run again", metadata: ["error": "\(error)"])
            }
            ServiceMetrics.jobFinished(.failed, seconds: Date().timeIntervalSince(started), failureReason: reason, worker: id)
            logger.warning("voice enrolment failed", metadata: ["error": "\(message)"])
        }
    }

    private func analyse(_ job: Job) async -> Outcome {
        var jobLogger = logger
        jobLogger[metadataKey: "job"] = "\(job.id)"
        jobLogger[metadataKey: "lesson"] = "\(job.lessonID)"
        let logger = jobLogger
        let started = Date()
        let control = JobControl()
        let found: Lesson?
        do {
            found = try await store.lesson(id: job.lessonID, schoolID: job.schoolID)?.lesson
        } catch {
            return await handBack(job, because: error, logger: logger)
        }
        guard let lesson = found,
              let recording = try? FileName.recording(of: lesson), let results = try? FileName.results(lessonID: lesson.id, set: ResultsSet.run(of: job)) else {
            _ = try? await lessons.advance(job, .fail(reason: "recording_missing",
                                                      message: "the recording is no longer stored (deleted by request or by the retention policy)"),
                                           workerID: id)
            ServiceMetrics.jobFinished(.failed, seconds: 0, failureReason: "recording_missing", worker: id)
            return .done
        }
        let configuration: (name: String, configuration: AnalysisConfiguration)
        let transcription: TranscriptionRequest
        do {
            configuration = try await self.configuration(for: job)
            transcription = try await transcriptionRequest(for: lesson)
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            logger.error("cannot use the analysis configuration", metadata: ["error": "\(message)"])
            _ = try? await lessons.advance(job, .fail(reason: "configuration", message: "the analysis configuration cannot be used: \(message)"), workerID: id)
            ServiceMetrics.jobFinished(.failed, seconds: 0, failureReason: "configuration", worker: id)
            return .done
        }
        logger.info("analysis started", metadata: ["attempt": "\(job.attempts)", "configuration": "\(configuration.name)", "kind": "\(job.kind.rawValue)"])
        let teacherProfile = await voiceProfile(of: lesson)

        let outcome: Result<LessonReport, Error> = await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await heartbeats(job, control: control, logger: logger) }
                let result: Result<LessonReport, Error>
                do {
                    // One local copy of the recording for the analysis and the face pictures.
                    result = .success(try await files.withLocalCopy(of: recording) { [models, files] local in
                        do {
                            let report = try await onOwnThread {
                                try LessonAnalyzer(models: models, configuration: configuration.configuration,
                                                   configurationVersion: configuration.name, logger: logger)
                                    .analyze(local, teacherProfile: teacherProfile, transcription: transcription, progress: control)
                            }
                            // A shadow's report alone is kept (by `publishShadow`): nobody looks at its pages or face pictures.
                            if job.kind != .shadow {
                                try await files.writeFolder(results) { folder in
                                    try await onOwnThread {
                                        try ReportWriter(directory: folder).write(report, media: local, mediaSource: lesson.recordingAddress)
                                    }
                                }
                            }
                            return report
                        } catch let error where !(error is AnalysisCancelled) && !Self.meansServerAway(error) {
                            throw Self.explain(error, lesson: lesson, recording: local)
                        }
                    })
                } catch {
                    result = .failure(error)
                }
                control.finish()
                group.cancelAll()
                return result
            }
        } onGracefulShutdown: {
            control.stop(because: .shutdown)
        }

        let seconds = Date().timeIntervalSince(started)
        for (stage, stageSeconds) in control.stageDurations() { ServiceMetrics.stageFinished(stage, seconds: stageSeconds, worker: id) }
        if case .failure(let error) = outcome, Self.meansServerAway(error), control.stopReason == nil {
            return await handBack(job, because: error, logger: logger)
        }
        do {
            switch outcome {
            case .success(let report) where job.kind == .shadow:
                _ = try await lessons.publishShadow(report, job: job, workerID: id)
                ServiceMetrics.jobFinished(.succeeded, seconds: seconds, worker: id)
                logger.info("shadow analysis finished", metadata: ["seconds": "\(Int(seconds))", "flag": "\(report.summary.flag.rawValue)"])
            case .success(let report):
                _ = try await lessons.publish(report, job: job, workerID: id)
                ServiceMetrics.analysed(report, seconds: seconds)
                ServiceMetrics.jobFinished(.succeeded, seconds: seconds, worker: id)
                logger.info("analysis finished", metadata: ["seconds": "\(Int(seconds))", "flag": "\(report.summary.flag.rawValue)"])
            case .failure(let error as AnalysisCancelled) where control.stopReason == .shutdown:
                _ = try await lessons.advance(job, .release, workerID: id)
                logger.notice("analysis stopped for shutdown; job given back to the queue (\(error.localizedDescription))")
            case .failure where control.stopReason == .cancelledOrLost:
                ServiceMetrics.jobFinished(.cancelled, seconds: seconds, worker: id)
                logger.notice("analysis stopped: the job was cancelled or taken over")
            case .failure(let error):
                let failure = error as? JobFailure ?? Self.explain(error, lesson: lesson, recording: nil)
                _ = try await lessons.advance(job, .fail(reason: failure.reason, message: failure.message), workerID: id)
                ServiceMetrics.jobFinished(.failed, seconds: seconds, failureReason: failure.reason, worker: id)
                logger.warning("analysis failed", metadata: ["reason": "\(failure.reason)", "error": "\(failure.message)"])
            }
        } catch {
            logger.error("cannot record the job's outcome; its lease will expire and it will run again", metadata: ["error": "\(error)"])
            return Self.meansServerAway(error) ? .serverAway : .done
        }
        return .done
    }

    /// The champion for a school's analysis; the shadow run's challenger for a shadow one.
    private func configuration(for job: Job) async throws -> (name: String, configuration: AnalysisConfiguration) {
        let registry = ConfigurationRegistry(store: store, models: models)
        guard job.kind == .shadow else { return try await registry.champion() }
        guard let name = job.configurationVersion else { throw ConfigurationError("the shadow job names no configuration") }
        return (name, try await registry.installedConfiguration(named: name))
    }

    /// The lesson's teacher's enrolled voice, so the analysis finds them by it; none if the
    /// lesson has no teacher, the teacher is not enrolled, or the profile cannot be read.
    /// The upload's choice of transcription, else the school's.
    private func transcriptionRequest(for lesson: Lesson) async throws -> TranscriptionRequest {
        if let chosen = lesson.transcription { return chosen.request(forUpload: true) }
        return try await store.transcriptionChoice(schoolID: lesson.schoolID).request(forUpload: false)
    }

    private func voiceProfile(of lesson: Lesson) async -> TeacherProfile? {
        guard let teacherID = lesson.teacherID,
              let json = try? await store.teacher(id: teacherID, schoolID: lesson.schoolID)?.voiceProfile else { return nil }
        return try? JSONDecoder().decode(TeacherProfile.self, from: Data(json.utf8))
    }

    /// Renews the lease and publishes progress until the analysis ends; stops it if the job
    /// was cancelled or another worker took it over.
    private func heartbeats(_ job: Job, control: JobControl, logger: Logger) async {
        while !Task.isCancelled, !control.isFinished {
            let (stage, progress) = control.snapshot()
            do {
                let stillOurs = try await lessons.advance(job, .heartbeat(stage: stage, progress: progress, leaseSeconds: settings.leaseSeconds),
                                                          workerID: id)
                if !stillOurs { control.stop(because: .cancelledOrLost) }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(settings.heartbeatSeconds))
        }
    }

    /// A short reason for metrics and the sentence a school admin reads.
    static func explain(_ error: Error, lesson: Lesson, recording: URL?) -> JobFailure {
        switch error {
        case is StoredFileMissing:
            return JobFailure(reason: "recording_missing", message: "the recording is no longer stored (deleted by request or by the retention policy)")
        case let media as MediaError:
            let reason: String
            switch media {
            case .fileNotFound: reason = "recording_missing"
            case .emptyFile: reason = "empty_file"
            case .notMedia: reason = "not_media"
            case .formatNotAccepted: reason = "format_not_accepted"
            case .noAudioTrack: reason = "no_audio"
            case .undecodable, .videoUndecodable: reason = "undecodable"
            case .tooShort: reason = "too_short"
            case .toolMissing: reason = "server_setup"
            }
            return JobFailure(reason: reason, message: Refusal.media(media, file: lesson.originalFilename).description)
        case is ModelError:
            return JobFailure(reason: "server_setup",
                              message: "the server's analysis models are missing or damaged (\(error.localizedDescription)); the administrator should run scripts/setup.sh")
        default:
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            return JobFailure(reason: "internal", message: recording.map { text.replacingOccurrences(of: $0.path, with: lesson.originalFilename) } ?? text)
        }
    }
}

/// Why a job failed, in the words its failure is recorded with: the reason (a code) and a
/// message naming the uploaded file, never the path of a copy of it.
struct JobFailure: Error {
    var reason: String
    var message: String
}

/// Shared between the analysis thread, the heartbeat task and the shutdown handler: where
/// the analysis is, and whether it should stop.
package final class JobControl: AnalysisProgress, @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    enum StopReason { case cancelledOrLost, shutdown }

    private let lock = NSLock()
    private var stage = AnalysisStage.probing
    private var fraction = 0.0
    private var stageStarted = Date()
    private var durations: [(AnalysisStage, Double)] = []
    private var reason: StopReason?
    private var finished = false

    package func update(stage: AnalysisStage, fraction: Double) {
        lock.withLock {
            if stage != self.stage {
                durations.append((self.stage, Date().timeIntervalSince(stageStarted)))
                stageStarted = Date()
                self.stage = stage
            }
            self.fraction = fraction
        }
    }

    package var isCancelled: Bool { lock.withLock { reason != nil } }
    var stopReason: StopReason? { lock.withLock { reason } }
    var isFinished: Bool { lock.withLock { finished } }

    func stop(because reason: StopReason) { lock.withLock { if self.reason == nil { self.reason = reason } } }

    func finish() {
        lock.withLock {
            durations.append((stage, Date().timeIntervalSince(stageStarted)))
            finished = true
        }
    }

    func stageDurations() -> [(AnalysisStage, Double)] { lock.withLock { durations } }

    /// The stage in words and the whole job's progress, 0…1: reading the recording and
    /// transcribing its speech are most of the work (a lesson without transcription skips
    /// from 50 % to 95 %).
    func snapshot() -> (stage: String, progress: Double) {
        lock.withLock {
            let span: (Double, Double)
            switch stage {
            case .probing: span = (0, 0.02)
            case .listening: span = (0.02, 0.45)
            case .clustering: span = (0.45, 0.5)
            case .transcribing: span = (0.5, 0.95)
            case .summarising: span = (0.95, 1)
            }
            return (stage.rawValue, span.0 + (span.1 - span.0) * min(1, max(0, fraction)))
        }
    }
}
