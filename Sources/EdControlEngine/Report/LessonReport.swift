import Foundation

/// The analysis of one lesson recording: `report.json`. Its shape is documented by
/// `schemas/report.schema.json`; bump `currentSchemaVersion` with any change to it.
public struct LessonReport: Codable, Sendable {
    public static let currentSchemaVersion = 8

    public struct Input: Codable, Sendable {
        public var file: String
        public var media: MediaInfo
        /// What the audio models saw: 16 kHz mono, this many seconds of it.
        public var analysedSampleRate: Int
        public var analysedAudioSeconds: Double
    }

    public var schemaVersion: Int
    public var generatedAt: String
    public var input: Input
    public var speakers: [Speaker]
    /// How sure the speaker count is; nil without sound.
    public var speakerCount: SpeakerCountEstimate?
    public var turns: [SpeakerTurn]
    public var talkMetrics: TalkMetrics
    public var voice: VoiceReport
    public var video: VideoReport
    /// What was said; nil in reports made before transcription (schema 7 and older).
    public var transcript: Transcript?
    /// Questions, answers, wait time and words by role, from the transcript; nil without one.
    public var teaching: TeachingMeasures?
    public var incidents: [Incident]
    public var summary: LessonSummary
    public var lineage: Lineage

    /// The report in `file`, or nil if there is none or it cannot be read.
    public static func read(from file: URL) -> LessonReport? {
        FileManager.default.contents(atPath: file.path).flatMap { try? JSONDecoder().decode(LessonReport.self, from: $0) }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// Identifies one model file exactly.
public struct ModelReference: Codable, Sendable, Hashable {
    public var id: String
    public var version: String
    public var sha256: String

    public init(id: String, version: String, sha256: String) {
        self.id = id
        self.version = version
        self.sha256 = sha256
    }

    public init(_ entry: ModelManifest.Entry) {
        self.init(id: entry.id, version: entry.version, sha256: entry.sha256)
    }
}

/// What made a report, so it can be reproduced: software, models, configuration.
public struct Lineage: Codable, Sendable {
    public var software: String
    public var softwareVersion: String
    public var models: [ModelReference]
    /// The name of the registry's configuration version that made the report (nil for an
    /// analysis run by hand), and the sha256 of that whole configuration document.
    public var configurationVersion: String?
    public var analysisConfigurationSHA256: String?
    /// The stage settings alone (the name stays from when they were the whole configuration).
    public var configurationSHA256: String
    public var configuration: AnalysisSettings
    public var incidentRulesVersion: String
    public var incidentRulesSHA256: String
    public var incidentRules: IncidentRules
    /// The lexicon of verbal incidents and the rules of the teaching measures (nil before transcripts).
    public var verbalLexiconVersion: String?
    public var verbalLexiconSHA256: String?
    public var questionRulesVersion: String?
}

public enum EdControl {
    public static let version = "0.2.0"
}

extension LessonReport {
    /// The incident with the highest peak intensity, and its place in `incidents`: what the
    /// flag's reason and the "worst moment" are about.
    public var strongestIncident: (index: Int, incident: Incident)? {
        incidents.indices.max { incidents[$0].peakIntensity < incidents[$1].peakIntensity }.map { ($0, incidents[$0]) }
    }
}
