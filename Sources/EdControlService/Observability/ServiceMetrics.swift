import EdControlEngine
import EdControlStorage
import Foundation
import Metrics

/// The service's own figures, recorded through swift-metrics (the Prometheus backend is
/// chosen at start-up, see `EdControlServer`). HTTP request figures come from Hummingbird's
/// `MetricsMiddleware`.
package enum ServiceMetrics {
    /// Per worker (its id, `host-pid-n`), so an operator running many sees which is slow or failing.
    static func jobFinished(_ state: Job.State, seconds: Double, failureReason: String? = nil, worker: String) {
        Timer(label: "edcontrol_job_duration_seconds", dimensions: [("state", state.rawValue), ("worker", worker)], preferredDisplayUnit: .seconds)
            .recordSeconds(seconds)
        Counter(label: "edcontrol_jobs_finished_total", dimensions: [("state", state.rawValue), ("worker", worker)]).increment()
        if let failureReason {
            Counter(label: "edcontrol_job_failures_total", dimensions: [("reason", failureReason), ("worker", worker)]).increment()
        }
    }

    static func stageFinished(_ stage: AnalysisStage, seconds: Double, worker: String) {
        Timer(label: "edcontrol_stage_duration_seconds", dimensions: [("stage", "\(stage)"), ("worker", worker)], preferredDisplayUnit: .seconds)
            .recordSeconds(seconds)
    }

    /// Speed and what the models saw: drifting figures here are the first sign that the
    /// recordings (or the models) changed.
    static func analysed(_ report: LessonReport, seconds: Double) {
        let duration = max(report.talkMetrics.durationSeconds, 1e-9)
        Recorder(label: "edcontrol_real_time_factor").record(seconds / duration)
        Recorder(label: "edcontrol_lesson_duration_seconds").record(duration)
        Recorder(label: "edcontrol_speakers_per_lesson").record(report.speakers.count)
        Recorder(label: "edcontrol_speech_share").record(1 - report.talkMetrics.silencePercent / 100)
        Recorder(label: "edcontrol_incidents_per_lesson").record(report.incidents.count)
        Counter(label: "edcontrol_lessons_flagged_total", dimensions: [("flag", report.summary.flag.rawValue)]).increment()
        guard report.video.analysed else { return }
        Recorder(label: "edcontrol_face_frame_share").record(report.video.faceShare)
        // Seconds in which each emotion was the most likely one, over all faces.
        var seconds: [Emotion: Int] = [:]
        for track in report.video.tracks {
            for second in track.timeline { if let emotions = second.emotions { seconds[emotions.mostLikely, default: 0] += 1 } }
        }
        for (emotion, count) in seconds {
            Counter(label: "edcontrol_face_seconds_total", dimensions: [("emotion", emotion.rawValue)]).increment(by: count)
        }
    }

    package static func queue(_ counts: [Job.State: Int]) {
        for (state, count) in counts {
            Gauge(label: "edcontrol_jobs", dimensions: [("state", state.rawValue)]).record(count)
        }
    }
}
