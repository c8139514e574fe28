import Foundation

/// Every setting of the analysis's stages (the thresholds and sizes; the models and incident
/// rules are the other parts of an `AnalysisConfiguration`). Its hash goes into each report's
/// lineage, so two reports with the same hash and models are comparable.
public struct AnalysisSettings: Codable, Sendable, Hashable, JSONDocument {
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
    /// nil in settings made before transcription (their hash stays what it was).
    public var transcription: TranscriptionSettings? = TranscriptionSettings()

    public init() {}

}

public struct ConfigurationError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
