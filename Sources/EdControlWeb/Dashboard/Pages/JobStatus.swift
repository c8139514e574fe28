import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation

/// A lesson's analysis as pages show it: words, a progress bar while it runs, and what
/// the live script needs to keep it current.
struct JobStatus {
    var jobID: String?
    var state: String
    var text: String
    var percent: Int
    /// Queued or running: the page's script polls the job and moves the bar.
    var live: Bool

    init(_ job: Job?, _ t: InterfaceText) {
        jobID = job?.id
        state = job?.state.rawValue ?? "none"
        percent = Int(((job?.progress ?? 0) * 100).rounded())
        live = job.map { !$0.state.isFinished } ?? false
        guard let job else {
            text = t["status_none"]
            return
        }
        switch job.state {
        case .queued: text = t["status_queued"]
        case .running: text = Self.stageName(job.stage, t) + " · \(percent) %"
        case .succeeded: text = t["status_succeeded"]
        case .failed: text = t["status_failed"] + (job.lastError.map { ": " + $0 } ?? "")
        case .cancelled: text = t["status_cancelled"]
        }
    }

    static func stageName(_ stage: String?, _ t: InterfaceText) -> String {
        guard let stage = stage.flatMap(AnalysisStage.init(rawValue:)) else { return t["status_running"] }
        return t["stage_\(stage)"]
    }

    /// The words the live script puts on a bar, by job state and by stage (as the API names them).
    static func liveText(_ t: InterfaceText) -> String {
        var words: [String: String] = [:]
        for state in Job.State.allCases { words[state.rawValue] = t["status_\(state.rawValue)"] }
        for stage in AnalysisStage.allCases { words[stage.rawValue] = t["stage_\(stage)"] }
        return PageRenderer.scriptJSON(words)
    }
}
