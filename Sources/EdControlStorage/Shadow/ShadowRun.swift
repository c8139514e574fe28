import Crypto
import EdControlEngine
import Foundation

/// A challenger analysing a share of the real lessons beside the champion, its results kept
/// apart and never shown to schools or sent to their webhooks: how a configuration that
/// won offline is tried on traffic before it is promoted. At most one runs at a time; the
/// operator starts it with `serve --shadow NAME --shadow-share F`.
public struct ShadowRun: Codable, Sendable, Equatable {
    public var id: Int64?
    /// The registered configuration that runs in the shadow.
    public var name: String
    /// The share of analysed lessons it also analyses, 0 < share ≤ 1.
    public var share: Double
    public var startedBy: String
    public var startedAt: Date
    /// Set when another run replaced it or the service started without one.
    public var stoppedAt: Date?

    public init(name: String, share: Double, startedBy: String, startedAt: Date = Date()) {
        self.name = name
        self.share = share
        self.startedBy = startedBy
        self.startedAt = startedAt
    }

    /// Whether the lesson is in the share. Decided by a hash of the lesson and the
    /// challenger, not by chance: the same lessons are chosen whichever worker asks and
    /// however often the lesson is analysed, and another challenger gets another sample.
    public func selects(lessonID: String) -> Bool {
        let digest = SHA256.hash(data: Data("\(name)/\(lessonID)".utf8))
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(value) / 18_446_744_073_709_551_616.0 < share
    }
}

/// An incident as a shadow result keeps it: enough to pair it with the other
/// configuration's incidents and with reviewers' verdicts.
public struct ShadowIncident: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var role: String
    public var modality: String

    public init(_ incident: Incident) {
        start = incident.start
        end = incident.end
        role = incident.role.rawValue
        modality = incident.modality.rawValue
    }

    init(start: Double, end: Double, role: String, modality: String) {
        self.start = start
        self.end = end
        self.role = role
        self.modality = modality
    }

    package var span: TimeSpan { TimeSpan(start: start, end: end) }
}

/// One lesson analysed by the challenger, beside what the champion's report said at the time.
public struct ShadowResult: Codable, Sendable, Equatable {
    public var lessonID: String
    public var schoolID: String
    public var challenger: String
    /// The configuration that made the lesson's published report.
    public var champion: String
    public var analysedAt: Date
    public var championFlag: String
    public var challengerFlag: String
    public var championIncidents: [ShadowIncident]
    public var challengerIncidents: [ShadowIncident]

    public init(lessonID: String, schoolID: String, champion: LessonReport, challenger: LessonReport, challengerName: String) {
        self.lessonID = lessonID
        self.schoolID = schoolID
        self.challenger = challengerName
        self.champion = champion.lineage.configurationVersion ?? "unregistered"
        analysedAt = Date()
        championFlag = champion.summary.flag.rawValue
        challengerFlag = challenger.summary.flag.rawValue
        championIncidents = champion.incidents.map(ShadowIncident.init)
        challengerIncidents = challenger.incidents.map(ShadowIncident.init)
    }

    package init(lessonID: String, schoolID: String, challenger: String, champion: String, analysedAt: Date, championFlag: String, challengerFlag: String,
         championIncidents: [ShadowIncident], challengerIncidents: [ShadowIncident]) {
        self.lessonID = lessonID
        self.schoolID = schoolID
        self.challenger = challenger
        self.champion = champion
        self.analysedAt = analysedAt
        self.championFlag = championFlag
        self.challengerFlag = challengerFlag
        self.championIncidents = championIncidents
        self.challengerIncidents = challengerIncidents
    }
}

/// Shadow runs and their results. Results are deleted with their lesson.
public protocol ShadowStore: Sendable {
    /// Starts `name` in the shadow (stopping any other run); refused when it is not
    /// registered or is the champion.
    func startShadow(_ run: ShadowRun) async throws -> ShadowRun
    /// Stops the current run, if any; it returns the stopped run.
    func stopShadow() async throws -> ShadowRun?
    func currentShadow() async throws -> ShadowRun?
    /// Newest first.
    func shadowRuns(limit: Int) async throws -> [ShadowRun]
    /// Queues the challenger's analysis of a lesson, unless one is already waiting or running.
    func enqueueShadow(lessonID: String, schoolID: String, configuration: String, maxAttempts: Int) async throws -> Job?
    /// The challenger's results on every school's lessons, oldest first.
    func shadowResults(challenger: String) async throws -> [ShadowResult]
}

/// A shadow result as a row of every SQL store: its incident lists as JSON.
package struct StoredShadowResult: Codable, Sendable {
    package var lessonID: String
    package var schoolID: String
    package var challenger: String
    package var champion: String
    package var analysedAt: Date
    package var championFlag: String
    package var challengerFlag: String
    package var championIncidents: String
    package var challengerIncidents: String

    package init(_ result: ShadowResult) throws {
        lessonID = result.lessonID
        schoolID = result.schoolID
        challenger = result.challenger
        champion = result.champion
        analysedAt = result.analysedAt
        championFlag = result.championFlag
        challengerFlag = result.challengerFlag
        championIncidents = String(decoding: try JSONEncoder().encode(result.championIncidents), as: UTF8.self)
        challengerIncidents = String(decoding: try JSONEncoder().encode(result.challengerIncidents), as: UTF8.self)
    }

    package var result: ShadowResult {
        get throws {
            let decoder = JSONDecoder()
            return ShadowResult(lessonID: lessonID, schoolID: schoolID, challenger: challenger, champion: champion, analysedAt: analysedAt,
                                championFlag: championFlag, challengerFlag: challengerFlag,
                                championIncidents: try decoder.decode([ShadowIncident].self, from: Data(championIncidents.utf8)),
                                challengerIncidents: try decoder.decode([ShadowIncident].self, from: Data(challengerIncidents.utf8)))
        }
    }
}
