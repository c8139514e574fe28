import EdControlEngine
import Foundation

/// A one-line progress bar on standard error. Hand-written: the few lines it takes are
/// less than a terminal UI dependency, and it must redraw only when the text changes.
final class ProgressBar: AnalysisProgress, @unchecked Sendable {
    // @unchecked: updates come from the analysis thread only; `lock` guards them anyway.
    private let enabled: Bool
    private let lock = NSLock()
    private var lastLine = ""
    private static let stages = AnalysisStage.allCases

    init(enabled: Bool) {
        self.enabled = enabled && isatty(STDERR_FILENO) != 0
    }

    func update(stage: AnalysisStage, fraction: Double) {
        guard enabled else { return }
        // Stages weighted by their usual share of the run time.
        let weights: [AnalysisStage: (Double, Double)] = [
            .probing: (0, 0.01), .listening: (0.01, 0.9), .clustering: (0.91, 0.07), .summarising: (0.98, 0.02),
        ]
        let (base, share) = weights[stage]!
        draw(min(1, base + share * max(0, min(1, fraction))), stage.rawValue)
    }

    /// Progress through a corpus: "item 3 of 7".
    func update(item done: Int, of total: Int) {
        guard enabled else { return }
        draw(Double(done) / Double(max(1, total)), "item \(done) of \(total)")
    }

    /// Progress of other long work (a backup), with what it is doing.
    func update(fraction: Double, label: String) {
        guard enabled else { return }
        draw(max(0, min(1, fraction)), label)
    }

    private func draw(_ total: Double, _ label: String) {
        let width = 30
        let filled = Int(total * Double(width))
        let line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            + String(format: "] %3d%%  %@", Int(total * 100), label)
        lock.withLock {
            guard line != lastLine else { return }
            lastLine = line
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        }
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
