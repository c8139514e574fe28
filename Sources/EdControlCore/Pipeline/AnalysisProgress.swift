/// The steps of an analysis, in order, as shown to users.
public enum AnalysisStage: String, Sendable, CaseIterable {
    case probing = "reading file"
    case listening = "finding speech and voices"
    case clustering = "telling speakers apart"
    case summarising = "summarising"
}

/// Receives progress while an analysis runs (a CLI bar, a job record).
public protocol AnalysisProgress: Sendable {
    /// `fraction` is how far the current stage has got, 0…1.
    func update(stage: AnalysisStage, fraction: Double)
}

public struct NoProgress: AnalysisProgress {
    public init() {}
    public func update(stage: AnalysisStage, fraction: Double) {}
}
