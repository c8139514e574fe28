import EdControlEngine
import Foundation

/// A new random id for any record.
func newIdentifier() -> String { UUID().uuidString.lowercased() }

/// A secret of `bytes` random bytes, in hex: tokens, session and login secrets.
func randomHex(bytes: Int) -> String {
    var random = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
}

/// A tenant: an online school. Nobody sees another school's lessons.
public struct School: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Date
    /// Whether and in which language its lessons are transcribed, unless an upload says otherwise.
    public var transcription: TranscriptionChoice
    /// Whether teachers launched from the LMS see their own lessons (the teacher role); when
    /// off, their launches are refused and their sessions end.
    public var teacherView: Bool = true
    /// Which EdControl role LMS launches' roles give; nil: `LTIRoleMap.defaults`.
    public var ltiRoles: LTIRoleMap? = nil
}

/// What a token may do. Each role can do everything the roles below it can.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Reads their own lessons, reports and teacher page, and nothing else: a teacher signed
    /// in from the LMS (`Principal.teacherID` says who they are).
    case teacher
    /// Reads lessons, reports and jobs.
    case viewer
    /// Also uploads, re-analyses, cancels, deletes and reviews.
    case manager
    /// Also manages tokens, webhooks and the school's settings.
    case admin

    private var rank: Int { Role.allCases.firstIndex(of: self)! }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// The roles a token or a password user is given. A teacher comes from the LMS, where
    /// who they are (which teacher's lessons are theirs) is known.
    public static let assignable: [Role] = [.viewer, .manager, .admin]
}

/// Who is calling: the school and role of the API token that came with the request.
public struct Principal: Sendable, Equatable {
    public var tokenID: String
    public var tokenName: String
    public var schoolID: String
    public var role: Role
    /// The teacher a user of the teacher role is.
    public var teacherID: String? = nil

    /// The teacher whose lessons alone this caller may see: set for the teacher role (one not
    /// linked to a teacher sees none), nil for the school's readers, who see every lesson.
    public var ownTeacherID: String? {
        role == .teacher ? teacherID ?? "" : nil
    }

    /// Whether the caller may see what is filed under this teacher: a teacher only their own.
    public func sees(teacher id: String?) -> Bool {
        ownTeacherID.map { $0 == id } ?? true
    }
}

/// A person who signs in to the dashboard: same schools and roles as API tokens. Only a
/// bcrypt hash of the password is kept.
public struct User: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    /// Lower-cased; unique across schools, since it is what people sign in with.
    public var email: String
    public var name: String
    public var role: Role
    public var passwordHash: String
    public var createdAt: Date
    /// For the teacher role: the teacher whose lessons are theirs.
    public var teacherID: String? = nil
}

/// A signed-in browser. The cookie holds a random secret of which only the SHA-256 is
/// stored; forms and scripts must echo the session's CSRF token on every change.
public struct DashboardSession: Codable, Sendable, Equatable {
    public var secretHash: String
    public var userID: String
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date
}

/// An API token as stored: only its SHA-256, never the token itself.
public struct APIToken: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    public var name: String
    public var role: Role
    public var secretHash: String
    public var createdAt: Date
    /// When it was last used, to the minute (a busy integration does not write on every request).
    public var lastUsedAt: Date?
    /// After this it is refused; nil: until revoked.
    public var expiresAt: Date?

    public func isExpired(at date: Date = Date()) -> Bool { expiresAt.map { $0 <= date } ?? false }
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
}

/// A lesson with its latest job: what lists and pages show.
public struct LessonWithJob: Codable, Sendable, Equatable {
    public var lesson: Lesson
    public var job: Job?
}

/// A school's LMS endpoint that is told when analyses finish.
public struct Webhook: Codable, Sendable, Equatable {
    public var id: String
    public var schoolID: String
    public var url: String
    /// The key events are signed with (HMAC-SHA256); never sent back by the API.
    public var secret: String
    public var createdAt: Date
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
