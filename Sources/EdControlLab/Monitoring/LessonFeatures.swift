import EdControlEngine
import Foundation

/// What an analysed lesson looked and sounded like, in a few numbers: the record drift
/// monitoring compares between periods. Everything comes from the report, so any folder of
/// reports (an evaluation corpus's, say) can be the reference too.
public struct LessonFeatures: Codable, Sendable, Equatable {
    /// Numbers by feature name; a feature that does not apply (no video, no sound, no
    /// quiet moment) is absent rather than zero.
    public var numbers: [String: Double]
    /// Categories by feature name (the codecs).
    public var categories: [String: String]

    public init(numbers: [String: Double], categories: [String: String]) {
        self.numbers = numbers
        self.categories = categories
    }

    /// The numeric features, in the order pages and tables list them.
    public static let numericNames = ["durationSeconds", "speechShare", "speakerCount", "overlapShare", "loudnessLUFS", "pitchHz",
                                      "snrDB", "facesPerFrame", "faceWidth"]
        + Emotion.allCases.map { "emotion.\($0.rawValue)" }
        + ["incidentsPerHour", "videoHeight", "framesPerSecond"]
    public static let categoricalNames = ["audioCodec", "videoCodec"]

    public init(_ report: LessonReport) {
        var numbers: [String: Double] = [:]
        let duration = report.talkMetrics.durationSeconds
        numbers["durationSeconds"] = duration
        numbers["incidentsPerHour"] = duration > 0 ? Double(report.incidents.count) * 3600 / duration : 0
        if !report.input.media.audio.isEmpty {
            numbers["speechShare"] = max(0, 1 - report.talkMetrics.silencePercent / 100)
            numbers["speakerCount"] = Double(report.speakers.count)
            numbers["overlapShare"] = report.talkMetrics.overlapPercent / 100
            let loudness = Self.median(report.voice.turns.map(\.loudnessLUFS))
            numbers["loudnessLUFS"] = loudness
            numbers["pitchHz"] = Self.median(report.voice.turns.compactMap(\.medianPitchHz))
            if let loudness, let floor = report.voice.noiseFloorLUFS { numbers["snrDB"] = loudness - floor }
        }
        if let video = report.input.media.video.first, report.video.analysed {
            numbers["videoHeight"] = Double(video.rotated ? video.width : video.height)
            numbers["framesPerSecond"] = video.framesPerSecond
            let seconds = report.video.tracks.flatMap { $0.timeline.filter(\.face) }
            numbers["facesPerFrame"] = duration > 0 ? Double(seconds.count) / max(1, duration.rounded(.up)) : 0
            numbers["faceWidth"] = Self.median(seconds.compactMap { $0.box?[2] })
            let emotions = seconds.compactMap(\.emotions)
            if !emotions.isEmpty {
                for (index, emotion) in Emotion.allCases.enumerated() {
                    numbers["emotion.\(emotion.rawValue)"] = emotions.map { $0.values[index] }.reduce(0, +) / Double(emotions.count)
                }
            }
        }
        self.numbers = numbers.compactMapValues { $0.isFinite ? $0 : nil }
        categories = ["audioCodec": report.input.media.audio.first?.codec ?? "none", "videoCodec": report.input.media.video.first?.codec ?? "none"]
    }

    private static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
