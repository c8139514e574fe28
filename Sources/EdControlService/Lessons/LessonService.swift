import EdControlEngine
import EdControlLab
import EdControlStorage
import Foundation
import Logging

/// The one owner of a lesson's life. Everything that creates, changes or removes a lesson's
/// rows or files goes through here — intake, publishing an analysis, re-analysis, reviews,
/// voice enrolment, erasure and the retention policy — so that routes, pages, workers and
/// the retention service are thin callers, and the order is the same everywhere:
/// files are written before the rows that point to them, rows are removed before their
/// files, and `sweep` deletes what a crash between the two left behind. Files are reached
/// through `LessonFiles` only, by the names `FileName` makes.
///
/// Refusals are `Refusal`s whose sentence tells the caller what is wrong and what to do, in
/// the caller's language; the API sends them as JSON and the dashboard as pages.
public struct LessonService: Sendable {
    public struct Limits: Sendable {
        public var maxUploadBytes: Int64 = 4_000_000_000
        public var maxTitleCharacters = 300
        public var maxFilenameCharacters = 255
        /// An upload slower than this on average, after its first `uploadGraceSeconds`, is cut
        /// off: a stalled or trickling upload must not hold a connection and a file for hours.
        public var minimumUploadBytesPerSecond = 2_000.0
        public var uploadGraceSeconds = 60.0
        public var maxAttempts = 3

        public init() {}
    }

    /// What the uploader said about the recording.
    public struct Details: Sendable {
        public var title: String?
        public var originalFilename: String
        public var teacherID: String?
        public var recordedAt: Date?
        /// False when only the day was given.
        public var recordedAtHasTime: Bool
        /// nil follows the school's setting.
        public var transcription: TranscriptionChoice?

        public init(title: String?, originalFilename: String, teacherID: String?, recordedAt: Date?, recordedAtHasTime: Bool = true,
                    transcription: TranscriptionChoice? = nil) {
            self.transcription = transcription
            self.title = title
            self.originalFilename = originalFilename
            self.teacherID = teacherID
            self.recordedAt = recordedAt
            self.recordedAtHasTime = recordedAtHasTime
        }
    }

    let store: EdControlStore
    package let files: any LessonFiles
    package let limits: Limits
    let probe: MediaProbing
    /// The server's cache of decoded reports, when the caller runs in the server's process.
    let reports: ReportCache?
    let logger: Logger

    public init(store: EdControlStore, files: any LessonFiles, limits: Limits = Limits(), probe: MediaProbing = FFprobe(),
                reports: ReportCache? = nil, logger: Logger = Logger(label: "edcontrol.lessons")) {
        self.store = store
        self.files = files
        self.limits = limits
        self.probe = probe
        self.reports = reports
        self.logger = logger
    }

    // MARK: Intake

    /// Refuses details that cannot be stored, before any of the body is received.
    public func check(_ details: Details, by caller: Principal) async throws {
        if let title = details.title, title.count > limits.maxTitleCharacters {
            throw Refusal(.invalid, "refusal_title_too_long", "\(title.count)", "\(limits.maxTitleCharacters)")
        }
        let name = details.originalFilename
        guard !name.isEmpty, name.count <= limits.maxFilenameCharacters, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Refusal(.invalid, "refusal_filename", "\(limits.maxFilenameCharacters)")
        }
        if let teacherID = details.teacherID, try await store.teacher(id: teacherID, schoolID: caller.schoolID) == nil {
            throw Refusal(.unprocessable, "refusal_upload_unknown_teacher", .text(teacherID))
        }
    }

    /// A received file that is a recording the analysis can use, and the lesson it is for.
    struct Recording: Sendable {
        let lessonID: String
        let fileName: String
        let media: MediaInfo
        var name: FileName { get throws { try FileName.lesson(lessonID).appending(fileName) } }
    }

    /// Checks that the file at `local` is a recording of an accepted format
    /// (`AcceptedFormats`: never a playlist or a list naming other files) with sound or
    /// pictures, long enough to analyse, and names the new lesson's recording.
    func recording(at local: URL, details: Details, by caller: Principal) async throws -> Recording {
        let media: MediaInfo
        do {
            media = try probe.probe(local)
        } catch let error as MediaError {
            throw Refusal.media(error, file: details.originalFilename)
        }
        // A recording without sound is taken: its faces are analysed.
        guard !media.audio.isEmpty || !media.video.isEmpty else {
            throw Refusal.media(.noAudioTrack(details.originalFilename, hasVideo: false), file: details.originalFilename)
        }
        guard media.durationSeconds >= 1 else {
            throw Refusal.media(.tooShort(details.originalFilename, seconds: media.durationSeconds), file: details.originalFilename)
        }
        // Again: the teacher named may have been deleted while the body came.
        try await check(details, by: caller)
        return Recording(lessonID: newIdentifier(), fileName: "recording." + Self.fileExtension(for: details.originalFilename, container: media.container),
                         media: media)
    }

    /// Writes the lesson of a stored recording with its first job; if the row cannot be
    /// written, the lesson's files are deleted again.
    func accept(_ recording: Recording, details: Details, by caller: Principal) async throws -> LessonWithJob {
        let media = recording.media
        do {
            let lesson = Lesson(id: recording.lessonID, schoolID: caller.schoolID, teacherID: details.teacherID,
                                title: details.title ?? (details.originalFilename as NSString).deletingPathExtension,
                                originalFilename: details.originalFilename, mediaBytes: media.sizeBytes, mediaFile: recording.fileName,
                                durationSeconds: media.durationSeconds, hasVideo: !media.video.isEmpty, recordedAt: details.recordedAt,
                                recordedAtHasTime: details.recordedAtHasTime,
                                uploadedAt: Date(), uploadedBy: caller.tokenName, flag: nil, incidentCount: nil,
                                teacherTalkPercent: nil, speakerCount: nil, teacherNegativeShare: nil, analysedAt: nil,
                                transcription: details.transcription)
            let job = try await store.addLesson(lesson, maxAttempts: limits.maxAttempts)
            return LessonWithJob(lesson: lesson, job: job)
        } catch {
            try? await files.deleteAll(under: FileName.lesson(recording.lessonID))
            throw error
        }
    }

    // MARK: Analysis

    /// Queues another analysis of the lesson.
    public func reanalyse(_ id: String, by caller: Principal) async throws -> Job {
        let found = try await store.lesson(id, of: caller)
        guard found.lesson.mediaFile != nil else {
            throw Refusal(.conflict, "refusal_reanalyse_recording_gone")
        }
        do {
            let job = try await store.enqueue(lessonID: found.lesson.id, schoolID: caller.schoolID, maxAttempts: limits.maxAttempts)
            try await store.audit(caller, "lesson.reanalyse", "lesson \(found.lesson.id)", detail: "job \(job.id)")
            return job
        } catch let conflict as StoreConflict {
            throw Refusal(conflict)
        }
    }

    /// Makes a finished job's results (the set `ResultsSet.run(of: job)`, written whole) the
    /// lesson's results: the lesson's row names the set in the transaction that records the
    /// job's success, so readers see the previous set or this one, never a mix; the previous
    /// set is deleted after the switch. Tells the school's webhooks; no backup copies the
    /// files meanwhile (it holds all of this or none of it). False if the job was no longer
    /// the worker's (cancelled, taken over, or the lesson erased meanwhile): then its set is
    /// deleted and the lesson keeps what it had.
    func publish(_ report: LessonReport, job: Job, workerID: String) async throws -> Bool {
        let run = ResultsSet.run(of: job)
        return try await files.changing {
            let previous = try await store.lesson(id: job.lessonID, schoolID: job.schoolID)?.lesson
            let recorded = try await advance(job, .succeed(.analysis(AnalysisSummary(report), resultsSet: run)), workerID: workerID)
            guard recorded else {
                try? await files.deleteAll(under: FileName.results(lessonID: job.lessonID, set: run))
                try await removeFilesIfErased(job)
                return false
            }
            if var lesson = previous {
                if let replaced = try? FileName.results(of: lesson), replaced.lastComponent != run {
                    try? await files.deleteAll(under: replaced)
                }
                (lesson.resultsSet, lesson.analysedAt) = (run, Date())
                await reports?.published(report, of: lesson)
            }
            try await store.saveFeatures(LessonFeatures(report), lessonID: job.lessonID, schoolID: job.schoolID, analysedAt: Date())
            try await store.indexTranscript(report.transcript, lessonID: job.lessonID, schoolID: job.schoolID)
            try await WebhookEvent.queue("job.succeeded", lessonID: job.lessonID, schoolID: job.schoolID, store: store)
            await queueShadowAnalysis(of: job, championReport: report)
            return true
        }
    }

    /// Applies what the worker holding the job asks, with what follows from it: a failed
    /// analysis is told to the school's webhooks (a shadow analysis's is not: the school never
    /// hears of those). False if the job was no longer the worker's. Every transition of a
    /// running job goes through here (`publish` for an analysis's success).
    func advance(_ job: Job, _ transition: JobTransition, workerID: String) async throws -> Bool {
        let applied = try await store.apply(transition, jobID: job.id, workerID: workerID)
        if applied, case .fail = transition, job.kind == .analysis {
            try await WebhookEvent.queue("job.failed", lessonID: job.lessonID, schoolID: job.schoolID, store: store)
        }
        return applied
    }

    /// Cancels a queued or running job of the caller's school. The job, and whether this call
    /// cancelled it; refused when there is no such job or it has finished.
    public func cancel(jobID: String, by caller: Principal) async throws -> Job {
        guard let (job, cancelled) = try await store.cancel(jobID: jobID, schoolID: caller.schoolID) else {
            throw Refusal(.notFound, "refusal_no_job", .text(jobID))
        }
        guard cancelled else { throw Refusal(.conflict, "refusal_job_finished", .text(job.state.rawValue)) }
        try await store.audit(caller, "job.cancel", "job \(job.id)", detail: "lesson \(job.lessonID)")
        return job
    }

    // MARK: Shadow runs

    /// Queues the shadow run's challenger on the lesson the champion has just analysed, if
    /// the lesson is in the run's share. The school's results are published already: a
    /// failure here is logged, never theirs.
    private func queueShadowAnalysis(of job: Job, championReport: LessonReport) async {
        do {
            guard let run = try await store.currentShadow(), run.name != championReport.lineage.configurationVersion,
                  run.selects(lessonID: job.lessonID) else { return }
            if let queued = try await store.enqueueShadow(lessonID: job.lessonID, schoolID: job.schoolID, configuration: run.name,
                                                          maxAttempts: limits.maxAttempts) {
                logger.info("shadow analysis queued", metadata: ["lesson": "\(job.lessonID)", "job": "\(queued.id)", "challenger": "\(run.name)"])
            }
        } catch {
            logger.error("cannot queue the shadow analysis", metadata: ["lesson": "\(job.lessonID)", "error": "\(error)"])
        }
    }

    /// Keeps a shadow job's report apart from the lesson's results, with what it and the
    /// lesson's published (champion) report say, for the Models page. False if the job was no
    /// longer the worker's.
    func publishShadow(_ report: LessonReport, job: Job, workerID: String) async throws -> Bool {
        guard let challenger = job.configurationVersion, let lesson = try await store.lesson(id: job.lessonID, schoolID: job.schoolID)?.lesson,
              let championReport = await files.report(of: lesson) else {
            throw Refusal(.gone, "refusal_shadow_no_report")
        }
        return try await files.changing {
            try await files.put(FileName.shadowReport(lessonID: job.lessonID, configuration: challenger), data: try report.jsonData())
            let result = ShadowResult(lessonID: job.lessonID, schoolID: job.schoolID, champion: championReport, challenger: report, challengerName: challenger)
            let recorded = try await advance(job, .succeed(.shadow(result)), workerID: workerID)
            if !recorded { try await removeFilesIfErased(job) }
            return recorded
        }
    }

    /// A job whose success was not recorded may have lost its lesson to an erasure meanwhile:
    /// then what it wrote goes with the lesson's other files.
    private func removeFilesIfErased(_ job: Job) async throws {
        if try await store.lesson(id: job.lessonID, schoolID: job.schoolID) == nil {
            await removeFiles(ofLesson: job.lessonID)
        }
    }

    // MARK: Review

    /// Stores a verdict on the lesson's incident `index` (its place in the current report),
    /// with what the incident said and the reviewer's correction of a confirmed one, and
    /// audits it.
    public func review(_ verdict: IncidentReview.Verdict, note: String?, correction: ReviewCorrection? = nil, lessonID: String, index: Int,
                       by caller: Principal) async throws -> IncidentReview {
        let found = try await store.lesson(lessonID, of: caller)
        guard let report = await currentReport(of: found.lesson) else {
            throw Refusal(.conflict, "refusal_review_not_analysed")
        }
        guard report.incidents.indices.contains(index) else {
            throw Refusal(.notFound, "refusal_review_no_incident", "\(report.incidents.count)", "\(index)")
        }
        let incident = report.incidents[index]
        var review = IncidentReview(id: newIdentifier(), lessonID: found.lesson.id, schoolID: caller.schoolID, incidentIndex: index,
                                    start: incident.start, end: incident.end, person: incident.person, role: incident.role.rawValue,
                                    modality: incident.modality.rawValue, verdict: verdict,
                                    note: note.map { String($0.prefix(2000)) }, reviewer: caller.tokenName, reviewedAt: Date())
        if let correction, !correction.isEmpty {
            try Self.check(correction, of: incident, verdict: verdict, in: report)
            // Times within a twentieth of a second of the incident's are the incident's (a form sends them back as shown).
            if let start = correction.start, let end = correction.end, abs(start - incident.start) >= 0.05 || abs(end - incident.end) >= 0.05 {
                (review.correctedStart, review.correctedEnd) = (start, end)
            }
            review.correctedPerson = correction.person == incident.person ? nil : correction.person
            review.correctedModality = correction.modality == incident.modality.rawValue ? nil : correction.modality
        }
        let saved = try await store.saveReview(review)
        try await store.audit(caller, "review.save", "lesson \(found.lesson.id) incident \(index)",
                              detail: verdict.rawValue + (saved.isCorrected ? " (corrected)" : ""))
        return saved
    }

    /// A correction must describe an incident that happened (a confirmed one), inside the
    /// lesson, about one of its people, in a modality there is.
    static func check(_ correction: ReviewCorrection, of incident: Incident, verdict: IncidentReview.Verdict, in report: LessonReport) throws {
        guard verdict == .confirmed else {
            throw Refusal(.invalid, "refusal_correction_rejected")
        }
        if correction.start != nil || correction.end != nil {
            let duration = report.talkMetrics.durationSeconds
            guard let start = correction.start, let end = correction.end, start.isFinite, end.isFinite, start >= 0, start < end, end <= duration + 0.5 else {
                throw Refusal(.invalid, "refusal_correction_times", .text(String(format: "%.1f", duration)))
            }
        }
        if let person = correction.person {
            let people = Set(report.speakers.map(\.id) + report.video.tracks.map(\.id))
            guard people.contains(person) else {
                throw Refusal(.invalid, "refusal_correction_person", .text(person), .text(people.sorted().joined(separator: ", ")))
            }
        }
        if let modality = correction.modality, Incident.Modality(rawValue: modality) == nil {
            throw Refusal(.invalid, "refusal_correction_modality", .text(modality))
        }
    }

    private func currentReport(of lesson: Lesson) async -> LessonReport? {
        if let reports { return await reports.report(of: lesson) }
        return await files.overview(of: lesson)
    }

    // MARK: Voice enrolment

    /// Queues enrolling the teacher's voice from a speaker's turns in an analysed lesson (the
    /// speaker id of its report), so their later lessons find them by voice rather than by
    /// talk time. What can be checked now is checked now; the profile is made by a worker.
    public func requestVoiceEnrolment(of teacherID: String, fromLesson lessonID: String, speaker: String, by caller: Principal) async throws -> Job {
        guard try await store.teacher(id: teacherID, schoolID: caller.schoolID) != nil else {
            throw Refusal(.notFound, "refusal_no_teacher", .text(teacherID))
        }
        let found = try await store.lesson(lessonID, of: caller)
        let report = try await enrolmentSource(found.lesson, speaker: speaker)
        let speech = report.turns.filter { $0.speaker == speaker }.map(\.duration).reduce(0, +)
        guard speech >= TeacherProfile.minimumSpeechSeconds else {
            throw Refusal(.unprocessable, "refusal_enrol_too_little_speech", .text(speaker), .text(String(format: "%.1f", speech)),
                          .text(String(format: "%.0f", TeacherProfile.minimumSpeechSeconds)))
        }
        do {
            let job = try await store.enqueueVoiceEnrolment(teacherID: teacherID, lessonID: found.lesson.id, speaker: speaker,
                                                            schoolID: caller.schoolID, maxAttempts: limits.maxAttempts)
            try await store.audit(caller, "teacher.voice_profile.request", "teacher \(teacherID)", detail: "from lesson \(found.lesson.id), speaker \(speaker); job \(job.id)")
            return job
        } catch let conflict as StoreConflict {
            throw Refusal(conflict)
        }
    }

    /// The lesson's report, if the speaker's voice can be enrolled from it.
    private func enrolmentSource(_ lesson: Lesson, speaker: String) async throws -> LessonReport {
        guard lesson.mediaFile != nil else {
            throw Refusal(.conflict, "refusal_enrol_recording_gone")
        }
        guard let report = await files.report(of: lesson) else {
            throw Refusal(.conflict, "refusal_enrol_not_analysed")
        }
        guard report.speakers.contains(where: { $0.id == speaker }) else {
            throw Refusal(.invalid, "refusal_enrol_no_speaker", .text(speaker), .text(report.speakers.map(\.id).joined(separator: ", ")))
        }
        return report
    }

    /// A worker's part of an enrolment: makes the profile and stores it on the teacher.
    /// Throws what the school's admin reads as the job's failure.
    func enrolVoice(_ job: Job, workerID: String, models: ModelRegistry) async throws {
        guard let teacherID = job.teacherID, let speaker = job.speaker,
              let lesson = try await store.lesson(id: job.lessonID, schoolID: job.schoolID)?.lesson,
              try await store.teacher(id: teacherID, schoolID: job.schoolID) != nil else {
            throw Refusal(.gone, "refusal_enrol_deleted")
        }
        let report = try await enrolmentSource(lesson, speaker: speaker)
        guard let recording = try FileName.recording(of: lesson) else { throw Refusal(.gone, "refusal_recording_deleted") }
        let turns = report.turns.filter { $0.speaker == speaker }.map(\.span)
        let profile: TeacherProfile
        do {
            profile = try await files.withLocalCopy(of: recording) { local in
                do {
                    return try await onOwnThread { try LessonAnalyzer(models: models).enrollTeacher(from: local, during: turns) }
                } catch let error as ProfileError {
                    throw Refusal(.unprocessable, "refusal_enrol_failed", .text(error.description.replacingOccurrences(of: local.path, with: lesson.originalFilename)))
                }
            }
        } catch is StoredFileMissing {
            throw Refusal(.gone, "refusal_recording_deleted")
        }
        let encoded = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
        if try await advance(job, .succeed(.voiceProfile(encoded)), workerID: workerID) {
            try await store.record(AuditEvent(schoolID: job.schoolID, actor: "worker \(workerID)", action: "teacher.voice_profile",
                                              target: "teacher \(teacherID)", detail: "from lesson \(lesson.id), speaker \(speaker)"))
        }
    }

    // MARK: Words

    /// The uploaded name's extension if it is a plain one, else one for the container.
    static func fileExtension(for name: String, container: String) -> String {
        let given = (name as NSString).pathExtension.lowercased()
        if !given.isEmpty, given.count <= 5, given.allSatisfy({ $0.isLetter || $0.isNumber }) { return given }
        return container.split(separator: ",").first.map(String.init) ?? "media"
    }

    package static func megabytes(_ bytes: Int64) -> String { String(format: "%.0f MB", Double(bytes) / 1_000_000) }
}

extension AnalysisSummary {
    /// What a report tells the lesson list.
    init(_ report: LessonReport) {
        self.init(flag: report.summary.flag.rawValue, incidentCount: report.incidents.count,
                  teacherTalkPercent: report.talkMetrics.teacherTalkPercent, speakerCount: report.speakers.count,
                  durationSeconds: report.talkMetrics.durationSeconds,
                  teacherNegativeShare: report.expressionChanges(of: .teacher).moreNegativeShare,
                  peakIntensity: report.strongestIncident?.incident.peakIntensity,
                  teacherIncidentCount: report.summary.roles.first { $0.role == .teacher }?.incidentCount ?? 0)
    }
}
