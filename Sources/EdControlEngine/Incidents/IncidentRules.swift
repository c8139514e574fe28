import Foundation

/// The thresholds that turn measurements into incidents and a lesson flag. They are a
/// versioned document of their own (`edcontrol incident-rules` prints it, `--incident-rules`
/// loads an edited copy) and their version and hash go into every report's lineage.
public struct IncidentRules: Codable, Sendable, Hashable, JSONDocument {
    public static let builtInVersion = "2026-11-30.1"

    public var version = IncidentRules.builtInVersion
    /// Raised voice this far above the speaker's usual loudness is intensity 0…1, linearly.
    public var raisedVoiceIntensityRangeLU: ClosedRange<Double> = 6...18
    /// Raised-voice episodes shorter than this are not incidents.
    public var minimumRaisedVoiceSeconds = 1.0
    /// A face whose smoothed probability of a negative emotion (angry + disgust + fear + sad)
    /// stays at or above the threshold, and this much above the same face's median over the
    /// lesson, for the minimum time is an incident; its intensity is that probability mapped
    /// linearly from the range onto 0…1. The rise matters because the expression model reads
    /// some resting faces as sad or angry all lesson long: a change is what stands out.
    public var negativeEmotionThreshold = 0.5
    public var minimumNegativeEmotionRise = 0.25
    public var minimumNegativeEmotionSeconds = 3.0
    public var negativeEmotionIntensityRange: ClosedRange<Double> = 0.5...1.0
    /// Incidents of one person closer than this are one incident.
    public var mergeGapSeconds = 3.0
    /// Flag "alert" when an incident's peak intensity reaches this…
    public var alertPeakIntensity = 0.7
    /// …or incidents add up to this many seconds; any incident at all means "review".
    public var alertTotalSeconds = 60.0

    public init() {}

    public static func load(from url: URL) throws -> IncidentRules {
        guard let data = try? Data(contentsOf: url) else {
            throw RulesError(description: "\(url.path): cannot read the incident rules file.")
        }
        do {
            return try JSONDecoder().decode(IncidentRules.self, from: data)
        } catch {
            throw RulesError(description: "\(url.path): not a valid incident rules file (\(error)). Start from `edcontrol incident-rules > rules.json`.")
        }
    }

}

public struct RulesError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public var errorDescription: String? { description }

    package init(description: String) { self.description = description }
}
