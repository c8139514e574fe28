import EdControlEngine
import Foundation

/// Fits the incident rules' thresholds to reviewers' verdicts: every combination of a small
/// grid is tried on the lessons' measurements (the reports keep them, so nothing is
/// analysed again per candidate), scored by incident F1 against the confirmed episodes
/// (one-to-one at temporal IoU ≥ 0.5, pooled over lessons), and judged by k-fold
/// cross-validation over lessons: the thresholds chosen on the other folds are scored on
/// each held-out fold, next to the current rules on the same fold.
public struct IncidentRulesCalibration: Sendable {
    /// One labelled lesson: its analysis and the incidents reviewers confirmed.
    public struct Lesson: Sendable {
        public var id: String
        public var report: LessonReport
        public var confirmed: [TimeSpan]
        public init(id: String, report: LessonReport, confirmed: [TimeSpan]) {
            self.id = id
            self.report = report
            self.confirmed = confirmed
        }
    }

    /// The thresholds tried (every combination).
    public struct Grid: Codable, Sendable, Equatable {
        public var negativeEmotionThreshold = [0.4, 0.45, 0.5, 0.55, 0.6, 0.7]
        public var minimumNegativeEmotionRise = [0.15, 0.2, 0.25, 0.3, 0.35]
        public var minimumNegativeEmotionSeconds = [2.0, 3.0, 4.0, 6.0]
        public var minimumRaisedVoiceSeconds = [0.5, 1.0, 1.5, 2.0]
        public init() {}
    }

    public struct Fold: Codable, Sendable, Equatable {
        public var heldOut: [String]
        /// Held-out F1 of the thresholds chosen on the other folds, and of the current rules.
        public var calibratedF1: Double
        public var currentF1: Double
    }

    public struct Result: Codable, Sendable {
        /// The rules fitted on all lessons (a new version), to register as a challenger.
        public var rules: IncidentRules
        public var lessons: Int
        public var confirmedIncidents: Int
        public var trainingF1: Double
        public var currentTrainingF1: Double
        public var folds: [Fold]
        public var crossValidatedF1: Double
        public var currentCrossValidatedF1: Double
        public var grid: Grid
    }

    public var grid = Grid()
    public var folds = 5
    public init() {}

    /// - Parameter current: the rules in use, the starting point and the comparison.
    public func calibrate(_ lessons: [Lesson], current: IncidentRules) throws -> Result {
        guard lessons.count >= 2 else {
            throw RulesError(description: "calibration needs at least 2 fully reviewed lessons (it has \(lessons.count)); review more incidents and export the dataset again.")
        }
        // The current rules come first, so a threshold moves only when that scores strictly better.
        let candidates = [current] + self.candidates(from: current)
        // Lessons go to folds in a fixed order (by id), so a calibration is reproducible.
        let ordered = lessons.sorted { $0.id < $1.id }
        // Each candidate is scored on each lesson once; a pooled score over any set of
        // lessons is then a sum of counts.
        let table = candidates.map { candidate in ordered.map { score(candidate, on: $0) } }
        let currentScores = ordered.map { score(current, on: $0) }
        func pooled(_ scores: [EpisodeScore], _ members: [Int]) -> EpisodeScore {
            members.map { scores[$0] }.reduce(EpisodeScore(referenceCount: 0, hypothesisCount: 0, matched: 0), +)
        }
        /// The candidate with the best pooled F1 on `members`; ties go to the one listed first
        /// (the current rules, then the grid's order), so the choice does not depend on chance.
        func best(_ members: [Int]) -> Int {
            var chosen = 0, bestF1 = -1.0
            for index in candidates.indices {
                let f1 = pooled(table[index], members).f1
                if f1 > bestF1 + 1e-12 { (chosen, bestF1) = (index, f1) }
            }
            return chosen
        }
        let k = min(folds, ordered.count)
        var foldResults: [Fold] = []
        var heldOutCalibrated = EpisodeScore(referenceCount: 0, hypothesisCount: 0, matched: 0)
        var heldOutCurrent = heldOutCalibrated
        for fold in 0..<k {
            let heldOut = ordered.indices.filter { $0 % k == fold }
            let chosen = best(ordered.indices.filter { $0 % k != fold })
            let calibrated = pooled(table[chosen], heldOut), now = pooled(currentScores, heldOut)
            heldOutCalibrated = heldOutCalibrated + calibrated
            heldOutCurrent = heldOutCurrent + now
            foldResults.append(Fold(heldOut: heldOut.map { ordered[$0].id }, calibratedF1: calibrated.f1, currentF1: now.f1))
        }
        let everyone = Array(ordered.indices)
        let chosen = best(everyone)
        var rules = candidates[chosen]
        rules.version = "calibrated-" + String(rules.sha256.prefix(8))
        return Result(rules: rules, lessons: ordered.count, confirmedIncidents: ordered.map(\.confirmed.count).reduce(0, +),
                      trainingF1: pooled(table[chosen], everyone).f1, currentTrainingF1: pooled(currentScores, everyone).f1, folds: foldResults,
                      crossValidatedF1: heldOutCalibrated.f1, currentCrossValidatedF1: heldOutCurrent.f1, grid: grid)
    }

    private func candidates(from current: IncidentRules) -> [IncidentRules] {
        var all: [IncidentRules] = []
        for threshold in grid.negativeEmotionThreshold {
            for rise in grid.minimumNegativeEmotionRise {
                for faceSeconds in grid.minimumNegativeEmotionSeconds {
                    for voiceSeconds in grid.minimumRaisedVoiceSeconds {
                        var rules = current
                        rules.negativeEmotionThreshold = threshold
                        rules.minimumNegativeEmotionRise = rise
                        rules.minimumNegativeEmotionSeconds = faceSeconds
                        rules.minimumRaisedVoiceSeconds = voiceSeconds
                        all.append(rules)
                    }
                }
            }
        }
        return all
    }

    private func score(_ rules: IncidentRules, on lesson: Lesson) -> EpisodeScore {
        let found = IncidentDetector(rules: rules).incidents(voice: lesson.report.voice, faces: lesson.report.video.tracks, speakers: lesson.report.speakers)
        return EpisodeScore.compute(reference: lesson.confirmed, hypothesis: found.map { TimeSpan(start: $0.start, end: $0.end) })
    }
}

extension EpisodeScore {
    /// Pools two scores (counts add up).
    public static func + (a: EpisodeScore, b: EpisodeScore) -> EpisodeScore {
        EpisodeScore(referenceCount: a.referenceCount + b.referenceCount, hypothesisCount: a.hypothesisCount + b.hypothesisCount,
                     matched: a.matched + b.matched)
    }
}
