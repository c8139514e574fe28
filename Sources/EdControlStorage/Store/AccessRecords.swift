import Foundation

// Who may do what: schools (the tenants), roles, users, sessions and API tokens.

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

    package init(id: String, name: String, createdAt: Date, transcription: TranscriptionChoice, teacherView: Bool = true,
                 ltiRoles: LTIRoleMap? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.transcription = transcription
        self.teacherView = teacherView
        self.ltiRoles = ltiRoles
    }
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

    package init(tokenID: String, tokenName: String, schoolID: String, role: Role, teacherID: String? = nil) {
        self.tokenID = tokenID
        self.tokenName = tokenName
        self.schoolID = schoolID
        self.role = role
        self.teacherID = teacherID
    }

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
    /// The password hash of a user who signs in through the LMS only: no password matches it.
    public static let noPassword = "!"

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

    package init(id: String, schoolID: String, email: String, name: String, role: Role, passwordHash: String, createdAt: Date,
                 teacherID: String? = nil) {
        self.id = id
        self.schoolID = schoolID
        self.email = email
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.teacherID = teacherID
    }
}

/// A signed-in browser. The cookie holds a random secret of which only the SHA-256 is
/// stored; forms and scripts must echo the session's CSRF token on every change.
public struct DashboardSession: Codable, Sendable, Equatable {
    public var secretHash: String
    public var userID: String
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    package init(secretHash: String, userID: String, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.secretHash = secretHash
        self.userID = userID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
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

    package init(id: String, schoolID: String, name: String, role: Role, secretHash: String, createdAt: Date,
                 lastUsedAt: Date? = nil, expiresAt: Date? = nil) {
        self.id = id
        self.schoolID = schoolID
        self.name = name
        self.role = role
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
    }

    public func isExpired(at date: Date = Date()) -> Bool { expiresAt.map { $0 <= date } ?? false }
}
