import Foundation

/// The analysis of one lesson recording: `report.json`. Its shape is documented by
/// `schemas/report.schema.json`; bump `currentSchemaVersion` with any change to it.
public struct LessonReport: Codable, Sendable {
    public static let currentSchemaVersion = 4

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
    public var turns: [SpeakerTurn]
    public var talkMetrics: TalkMetrics
    public var voice: VoiceReport
    public var video: VideoReport
    public var incidents: [Incident]
    public var summary: LessonSummary
    public var lineage: Lineage

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// Identifies one model file exactly.
public struct ModelReference: Codable, Sendable, Equatable {
    public var id: String
    public var version: String
    public var sha256: String

    public init(_ entry: ModelManifest.Entry) {
        id = entry.id
        version = entry.version
        sha256 = entry.sha256
    }
}

/// What made a report, so it can be reproduced: software, models, configuration.
public struct Lineage: Codable, Sendable {
    public var software: String
    public var softwareVersion: String
    public var models: [ModelReference]
    public var configurationSHA256: String
    public var configuration: AnalysisConfiguration
    public var incidentRulesVersion: String
    public var incidentRulesSHA256: String
    public var incidentRules: IncidentRules
}

public enum EdControl {
    public static let version = "0.1.0"
}
