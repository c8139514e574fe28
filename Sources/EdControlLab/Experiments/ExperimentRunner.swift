import EdControlEngine
import EdControlReports
import Foundation

/// Scores configurations item by item on a labelled corpus: the per-item numbers an
/// experiment pairs.
public struct ExperimentRunner: Sendable {
    public let models: ModelRegistry
    /// DER's no-score collar around reference boundaries, and the least IoU of a matched episode.
    public static let collar = 0.25
    public static let minimumEpisodeIoU = 0.5

    public init(models: ModelRegistry) {
        self.models = models
    }

    /// Each item's metric under each configuration, in the corpus's order; `progress` is told
    /// after every item. Throws, naming the item, if one cannot be analysed.
    public func score(_ corpus: EvaluationCorpus, metric: ExperimentMetric, configurations: [AnalysisConfiguration],
                      progress: (_ done: Int, _ of: Int) -> Void = { _, _ in }) throws -> [[Double]] {
        let analyzers = configurations.map { LessonAnalyzer(models: models, configuration: $0) }
        var scores = Array(repeating: [Double](), count: configurations.count)
        for (index, item) in corpus.items.enumerated() {
            for (side, analyzer) in analyzers.enumerated() {
                do {
                    scores[side].append(try score(item, metric: metric, analyzer: analyzer))
                } catch {
                    throw CorpusError("\(item.id): \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
                }
            }
            progress(index + 1, corpus.items.count)
        }
        return scores
    }

    /// Speaker turns do not depend on the words: scoring them, transcription would only cost time.
    private static let noTranscript = TranscriptionRequest.off(reason: "not needed to score speaker turns")

    private func score(_ item: EvaluationCorpus.Item, metric: ExperimentMetric, analyzer: LessonAnalyzer) throws -> Double {
        switch metric {
        case .der:
            let report = try analyzer.analyze(item.media, transcription: Self.noTranscript)
            return DiarizationErrorRate.compute(reference: try turns(in: item.references[0]), hypothesis: report.turns, collar: Self.collar).errorRate
        case .vadF1:
            let report = try analyzer.analyze(item.media, transcription: Self.noTranscript)
            return VoiceActivityScore.compute(reference: try turns(in: item.references[0]).map(\.span), hypothesis: report.turns.map(\.span)).f1
        case .incidentF1:
            let report = try analyzer.analyze(item.media)
            let reference = try item.references.flatMap { try episodes(in: $0) }
            return EpisodeScore.compute(reference: reference.map(\.span), hypothesis: report.incidents.map { TimeSpan(start: $0.start, end: $0.end) },
                                        minimumIoU: Self.minimumEpisodeIoU).f1
        case .emotionAccuracy:
            guard let label = item.expression else { throw CorpusError("no expression label") }
            return try analyzer.readExpression(in: item.media, face: label.face).emotion == label.emotion ? 1 : 0
        }
    }

    private func turns(in rttm: URL) throws -> [SpeakerTurn] {
        guard let text = try? String(contentsOf: rttm, encoding: .utf8) else { throw CorpusError("\(rttm.path): cannot read it.") }
        return try RTTM.parse(text, source: rttm.path)
    }

    private func episodes(in file: URL) throws -> [SpeakerTurn] {
        guard let data = FileManager.default.contents(atPath: file.path),
              let episodes = try? JSONDecoder().decode([SpeakerTurn].self, from: data) else {
            throw CorpusError("\(file.path): not a JSON list of {start, end, speaker}.")
        }
        return episodes
    }
}
