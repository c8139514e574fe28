import Foundation

/// The steps of an analysis, in order, as shown to users.
public enum AnalysisStage: String, Sendable, CaseIterable {
    case probing = "reading file"
    case listening = "finding speech, voices and faces"
    case clustering = "telling speakers apart"
    case transcribing = "transcribing speech"
    case summarising = "summarising"
}

/// Receives progress while an analysis runs (a CLI bar, a job record), and may stop it.
public protocol AnalysisProgress: Sendable {
    /// `fraction` is how far the current stage has got, 0…1.
    func update(stage: AnalysisStage, fraction: Double)
    /// Asked between chunks of work; once true, the analysis stops with `AnalysisCancelled`.
    var isCancelled: Bool { get }
}

extension AnalysisProgress {
    public var isCancelled: Bool { false }
}

/// The analysis was stopped on request before it finished.
public struct AnalysisCancelled: Error, LocalizedError {
    public init() {}
    public var errorDescription: String? { "the analysis was cancelled" }
}

public struct NoProgress: AnalysisProgress {
    public init() {}
    public func update(stage: AnalysisStage, fraction: Double) {}
}

/// Progress of parts running at once (audio and video): the stage is as far as the
/// slowest part.
final class CombinedProgress: @unchecked Sendable {
    // @unchecked: `fractions` is only touched under `lock`.
    private let target: AnalysisProgress
    private let lock = NSLock()
    private var fractions: [Double]

    init(_ target: AnalysisProgress, parts: Int) {
        self.target = target
        fractions = [Double](repeating: 0, count: parts)
    }

    var isCancelled: Bool { target.isCancelled }

    func update(part: Int, stage: AnalysisStage, fraction: Double) {
        let slowest: Double = lock.withLock {
            fractions[part] = fraction
            return fractions.min() ?? fraction
        }
        target.update(stage: stage, fraction: slowest)
    }
}
