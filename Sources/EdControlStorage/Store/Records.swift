import EdControlEngine
import Foundation

/// A new random id for any record.
package func newIdentifier() -> String { UUID().uuidString.lowercased() }

/// A secret of `bytes` random bytes, in hex: tokens, session and login secrets.
package func randomHex(bytes: Int) -> String {
    var random = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &random) }.hexadecimal
}

public struct Teacher: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    public var name: String
    public var createdAt: Date
    /// Their enrolled voice (TeacherProfile JSON), if any.
    public var voiceProfile: String?
    /// Lower-cased, as the LMS gave it: what matches them to their LMS account.
    public var email: String? = nil

    package init(id: String, schoolID: String, name: String, createdAt: Date, voiceProfile: String? = nil, email: String? = nil) {
        self.id = id
        self.schoolID = schoolID
        self.name = name
        self.createdAt = createdAt
        self.voiceProfile = voiceProfile
        self.email = email
    }

    /// What the API shows of the profile: whether there is one, how much speech made it, when.
    public var voiceProfileStatus: VoiceProfileStatus {
        guard let json = voiceProfile, let profile = try? JSONDecoder().decode(TeacherProfile.self, from: Data(json.utf8)) else {
            return VoiceProfileStatus(enrolled: false, speechSeconds: nil, createdAt: nil, model: nil)
        }
        return VoiceProfileStatus(enrolled: true, speechSeconds: profile.speechSeconds, createdAt: profile.createdAt,
                                  model: "\(profile.model.id) \(profile.model.version)")
    }
}

public struct VoiceProfileStatus: Codable, Sendable, Equatable {
    public var enrolled: Bool
    public var speechSeconds: Double?
    public var createdAt: String?
    public var model: String?
}

/// An uploaded recording and, once analysed, the figures the lesson list shows.
public struct Lesson: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    public var teacherID: String?
    public var title: String
    /// The name the file had on the uploader's machine.
    public var originalFilename: String
    public var mediaBytes: Int64
    /// Nil once the retention policy has deleted the recording (the report is kept).
    public var mediaFile: String?
    public var durationSeconds: Double
    public var hasVideo: Bool
    public var recordedAt: Date?
    /// False when only the day was given (`recordedAt` is then that day's midnight, UTC).
    public var recordedAtHasTime: Bool
    public var uploadedAt: Date
    public var uploadedBy: String
    /// From the latest successful analysis.
    public var flag: String?
    public var incidentCount: Int?
    public var teacherTalkPercent: Double?
    public var speakerCount: Int?
    public var teacherNegativeShare: Double?
    /// The strongest incident's peak intensity, and how many incidents were the teacher's
    /// (lessons analysed before these were kept: nil).
    public var peakIntensity: Double? = nil
    public var teacherIncidentCount: Int? = nil
    public var analysedAt: Date?
    /// This upload's choice of transcription; nil follows the school's.
    public var transcription: TranscriptionChoice? = nil
    /// The set of results files published (`ResultsSet`): the run whose success was recorded
    /// last; nil before one was, or for lessons published before sets were named.
    public var resultsSet: String? = nil

    package init(id: String, schoolID: String, teacherID: String? = nil, title: String, originalFilename: String,
                 mediaBytes: Int64, mediaFile: String? = nil, durationSeconds: Double, hasVideo: Bool, recordedAt: Date? = nil,
                 recordedAtHasTime: Bool, uploadedAt: Date, uploadedBy: String, flag: String? = nil, incidentCount: Int? = nil,
                 teacherTalkPercent: Double? = nil, speakerCount: Int? = nil, teacherNegativeShare: Double? = nil,
                 peakIntensity: Double? = nil, teacherIncidentCount: Int? = nil, analysedAt: Date? = nil,
                 transcription: TranscriptionChoice? = nil, resultsSet: String? = nil) {
        self.id = id
        self.schoolID = schoolID
        self.teacherID = teacherID
        self.title = title
        self.originalFilename = originalFilename
        self.mediaBytes = mediaBytes
        self.mediaFile = mediaFile
        self.durationSeconds = durationSeconds
        self.hasVideo = hasVideo
        self.recordedAt = recordedAt
        self.recordedAtHasTime = recordedAtHasTime
        self.uploadedAt = uploadedAt
        self.uploadedBy = uploadedBy
        self.flag = flag
        self.incidentCount = incidentCount
        self.teacherTalkPercent = teacherTalkPercent
        self.speakerCount = speakerCount
        self.teacherNegativeShare = teacherNegativeShare
        self.peakIntensity = peakIntensity
        self.teacherIncidentCount = teacherIncidentCount
        self.analysedAt = analysedAt
        self.transcription = transcription
        self.resultsSet = resultsSet
    }
}

/// One analysis of one lesson, as the durable queue holds it.
public struct Job: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        case queued, running, succeeded, failed, cancelled

        public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    public enum Kind: String, Codable, Sendable {
        /// Analyses the lesson's recording and publishes its results.
        case analysis
        /// Makes `teacherID`'s voice profile from `speaker`'s turns in the lesson.
        case voiceEnrolment = "voice_enrolment"
        /// Analyses the lesson with the shadow run's challenger (`configurationVersion`) and
        /// keeps the results apart: never shown to the school or sent to its webhooks.
        case shadow
    }

    public var id: String
    public var lessonID: String
    public var schoolID: String
    public var kind: Kind
    /// For a voice enrolment: whose profile, from which speaker of the lesson's report.
    public var teacherID: String?
    public var speaker: String?
    /// For a shadow analysis: the challenger configuration.
    public var configurationVersion: String?
    public var state: State
    /// What the analysis is doing now, in words (see `AnalysisStage`), and how far the whole
    /// job has got, 0…1.
    public var stage: String?
    public var progress: Double
    public var attempts: Int
    public var maxAttempts: Int
    /// Why it failed, in words a school admin understands.
    public var lastError: String?
    /// A short machine-readable reason for failures (metrics, filters).
    public var failureReason: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var workerID: String?
    public var leaseExpiresAt: Date?
    public var heartbeatAt: Date?

    package init(id: String, lessonID: String, schoolID: String, kind: Kind, teacherID: String? = nil, speaker: String? = nil,
                 configurationVersion: String? = nil, state: State, stage: String? = nil, progress: Double, attempts: Int,
                 maxAttempts: Int, lastError: String? = nil, failureReason: String? = nil, createdAt: Date,
                 startedAt: Date? = nil, finishedAt: Date? = nil, workerID: String? = nil, leaseExpiresAt: Date? = nil,
                 heartbeatAt: Date? = nil) {
        self.id = id
        self.lessonID = lessonID
        self.schoolID = schoolID
        self.kind = kind
        self.teacherID = teacherID
        self.speaker = speaker
        self.configurationVersion = configurationVersion
        self.state = state
        self.stage = stage
        self.progress = progress
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.lastError = lastError
        self.failureReason = failureReason
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.workerID = workerID
        self.leaseExpiresAt = leaseExpiresAt
        self.heartbeatAt = heartbeatAt
    }
}

/// Lessons matching a list request, a page at a time. A lesson's date is when it was
/// recorded, or else when it was uploaded.
public struct LessonQuery: Sendable {
    public enum Order: String, Sendable, CaseIterable {
        case newest, oldest, title, incidents
        /// Alerts first, then lessons to review, each by its strongest incident.
        case severity
    }

    public var teacherID: String?
    public var state: Job.State?
    public var flag: String?
    public var from: Date?
    public var before: Date?
    /// Words in the title or the teacher's name, whatever their case.
    public var search: String?
    public var order = Order.newest
    public var limit = 50
    public var offset = 0

    public init() {}

    // The two SQL stores read a query alike; each defines `edc_fold` (text folded for search).

    /// A lesson's date in SQL: when it was recorded, else when it was uploaded.
    package static let lessonDateSQL = "COALESCE(lesson.recorded_at, lesson.uploaded_at)"

    /// `search` folded, as a LIKE pattern finding it anywhere, LIKE's own characters escaped
    /// with `\`.
    package var searchPattern: String? {
        guard let folded = search.map(\.searchFolded), !folded.isEmpty else { return nil }
        return "%" + folded.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// The ORDER BY terms of `order` (ties are the caller's to break).
    package var orderSQL: String {
        let date = Self.lessonDateSQL
        return switch order {
        case .newest: "\(date) DESC"
        case .oldest: "\(date) ASC"
        case .title: "edc_fold(lesson.title) ASC"
        case .incidents: "lesson.incident_count IS NULL, lesson.incident_count DESC, \(date) DESC"
        case .severity: """
            CASE lesson.flag WHEN 'alert' THEN 0 WHEN 'review' THEN 1 WHEN 'inconclusive' THEN 2 WHEN 'ok' THEN 3 ELSE 4 END,
            lesson.peak_intensity IS NULL, lesson.peak_intensity DESC, lesson.incident_count DESC, \(date) DESC
            """
        }
    }
}

/// A lesson with its latest job: what lists and pages show.
public struct LessonWithJob: Codable, Sendable, Equatable {
    public var lesson: Lesson
    public var job: Job?

    package init(lesson: Lesson, job: Job? = nil) {
        self.lesson = lesson
        self.job = job
    }
}

/// A school's LMS endpoint that is told when analyses finish.
public struct Webhook: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    public var url: String
    /// The key events are signed with (HMAC-SHA256); never sent back by the API.
    public var secret: String
    public var createdAt: Date

    package init(id: String, schoolID: String, url: String, secret: String, createdAt: Date) {
        self.id = id
        self.schoolID = schoolID
        self.url = url
        self.secret = secret
        self.createdAt = createdAt
    }
}

/// One event on its way to one webhook, and how its delivery went.
public struct WebhookDelivery: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case pending, delivered, failed }

    public var id: String
    public var webhookID: String
    public var schoolID: String
    /// The lesson the event is about: its erasure removes the delivery, which names it.
    public var lessonID: String?
    public var event: String
    /// The JSON body sent, exactly (the signature covers these bytes).
    public var payload: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date?
    /// The receiver's HTTP status, or why no status came (connection refused, timeout).
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?

    package init(id: String, webhookID: String, schoolID: String, lessonID: String? = nil, event: String, payload: String,
                 state: State, attempts: Int, nextAttemptAt: Date? = nil, lastStatus: Int? = nil, lastError: String? = nil,
                 createdAt: Date, deliveredAt: Date? = nil) {
        self.id = id
        self.webhookID = webhookID
        self.schoolID = schoolID
        self.lessonID = lessonID
        self.event = event
        self.payload = payload
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

/// A reviewer's verdict on one incident of a lesson's report: confirmed incidents become
/// labelled data for evaluating the next models.
public struct IncidentReview: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable, CaseIterable { case confirmed, rejected }

    public var id: String
    public var lessonID: String
    public var schoolID: String
    /// The incident's place in the report it was reviewed in, and what it said.
    public var incidentIndex: Int
    public var start: Double
    public var end: Double
    public var person: String
    public var role: String
    public var modality: String
    public var verdict: Verdict
    public var note: String?
    public var reviewer: String
    public var reviewedAt: Date
    /// A confirmed incident the reviewer corrected: when it really was, who it was about, how
    /// it showed. Nil where the incident was right.
    public var correctedStart: Double? = nil
    public var correctedEnd: Double? = nil
    public var correctedPerson: String? = nil
    public var correctedModality: String? = nil

    package init(id: String, lessonID: String, schoolID: String, incidentIndex: Int, start: Double, end: Double, person: String,
                 role: String, modality: String, verdict: Verdict, note: String? = nil, reviewer: String, reviewedAt: Date,
                 correctedStart: Double? = nil, correctedEnd: Double? = nil, correctedPerson: String? = nil,
                 correctedModality: String? = nil) {
        self.id = id
        self.lessonID = lessonID
        self.schoolID = schoolID
        self.incidentIndex = incidentIndex
        self.start = start
        self.end = end
        self.person = person
        self.role = role
        self.modality = modality
        self.verdict = verdict
        self.note = note
        self.reviewer = reviewer
        self.reviewedAt = reviewedAt
        self.correctedStart = correctedStart
        self.correctedEnd = correctedEnd
        self.correctedPerson = correctedPerson
        self.correctedModality = correctedModality
    }

    /// What the incident was, as the reviewer labelled it: the correction where there is one.
    public var labelledSpan: TimeSpan { TimeSpan(start: correctedStart ?? start, end: correctedEnd ?? end) }
    public var labelledPerson: String { correctedPerson ?? person }
    public var isCorrected: Bool { correctedStart != nil || correctedPerson != nil || correctedModality != nil }
}

/// A reviewer's correction of an incident that did happen, but at other times, about another
/// person or in another modality than the analysis said. Any part may be left out.
public struct ReviewCorrection: Sendable, Equatable {
    public var start: Double?
    public var end: Double?
    public var person: String?
    public var modality: String?

    public init(start: Double? = nil, end: Double? = nil, person: String? = nil, modality: String? = nil) {
        self.start = start
        self.end = end
        self.person = person
        self.modality = modality
    }

    public var isEmpty: Bool { start == nil && end == nil && person == nil && modality == nil }
}

/// Who read, changed or deleted what, and when.
public struct AuditEvent: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    /// The token's name, or "retention policy" for the server's own deletions.
    public var actor: String
    /// E.g. lesson.upload, lesson.read, results.read, lesson.delete, review.save, media.expired.
    public var action: String
    public var target: String
    public var detail: String?
    public var at: Date

    public init(schoolID: String, actor: String, action: String, target: String, detail: String? = nil) {
        id = newIdentifier()
        self.schoolID = schoolID
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
        at = Date()
    }
}
