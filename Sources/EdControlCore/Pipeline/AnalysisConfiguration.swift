import Foundation

/// Every setting that changes what the analysis produces. Its hash goes into each
/// report's lineage, so two reports with the same hash and models are comparable.
public struct AnalysisConfiguration: Codable, Sendable, Hashable {
    public var voiceActivity = SileroVoiceActivityDetector.Settings()
    public var segmentation = WindowedSegmenter.Settings()
    public var localSpeakers = LocalSpeakerEmbedder.Settings()
    public var embedding = GE2ESpeakerEmbedder.Settings()
    public var clustering = MergingSpeakerClustering.Settings()
    public var diarization = Diarizer.Settings()
    public var speakerCount = SpeakerCountBounds()
    public var teacher = TeacherIdentification.Settings()
    public var talk = TalkMetricsCalculator.Settings()
    public var prosody = ProsodyAnalyzer.Settings()
    public var voice = VoiceAnalysis.Settings()
    public var faces = FaceAnalyzer.Settings()
    public var faceTimeline = FaceTimelineBuilder.Settings()

    public init() {}

    public var sha256: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256Digest.of((try? encoder.encode(self)) ?? Data())
    }
}

extension AnalysisConfiguration {
    /// The configuration as pretty JSON with sorted keys (what `edcontrol config` prints).
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Reads a configuration file: any subset of the settings `edcontrol config` prints; the
    /// rest keep their defaults. A setting that does not exist is an error, so a typo is not
    /// silently ignored.
    public static func load(from url: URL) throws -> AnalysisConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError("\(url.path): cannot read this file.")
        }
        guard let given = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("\(url.path): not a JSON object. Start from the output of `edcontrol config`.")
        }
        let defaults = try JSONSerialization.jsonObject(with: AnalysisConfiguration().json) as! [String: Any]
        let merged = try merge(given, into: defaults, path: [], file: url.path)
        do {
            return try JSONDecoder().decode(AnalysisConfiguration.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch {
            throw ConfigurationError("\(url.path): a setting has a value of the wrong kind (\(error)). Compare with `edcontrol config`.")
        }
    }

    private static func merge(_ given: [String: Any], into defaults: [String: Any], path: [String], file: String) throws -> [String: Any] {
        var result = defaults
        for (key, value) in given {
            let name = (path + [key]).joined(separator: ".")
            guard let current = defaults[key] else {
                throw ConfigurationError("\(file): there is no setting '\(name)'. `edcontrol config` lists them all.")
            }
            if let nested = value as? [String: Any], let currentNested = current as? [String: Any] {
                result[key] = try merge(nested, into: currentNested, path: path + [key], file: file)
            } else {
                result[key] = value
            }
        }
        return result
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
