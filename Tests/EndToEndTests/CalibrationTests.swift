@testable import EdControlTestSupport
import EdControlEngine
import EdControlLab
import Foundation
import Testing

/// Incident rules fitted to verdicts, on real analyses of a real video (a woman crying, then
/// laughing) and a real reading with no incident.
@Suite("Incident rules calibration")
struct CalibrationTests {
    @Test func rulesFollowWhatReviewersConfirmedAndRejected() throws {
        let analyzer = LessonAnalyzer(models: try Fixtures.registry())
        let crying = try analyzer.analyze(Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4"))
        let reading = try analyzer.analyze(URL(fileURLWithPath: Fixtures.librivox[0]))
        let incident = try #require(crying.incidents.first, "the crying is an incident under the built-in rules")
        var calibration = IncidentRulesCalibration()
        calibration.folds = 2

        // Confirmed: the built-in rules already find exactly what reviewers said.
        let confirmed = try calibration.calibrate([.init(id: "crying", report: crying, confirmed: [TimeSpan(start: incident.start, end: incident.end)]),
                                                   .init(id: "reading", report: reading, confirmed: [])], current: IncidentRules())
        #expect(confirmed.currentTrainingF1 == 1 && confirmed.trainingF1 == 1 && confirmed.folds.count == 2)
        #expect(confirmed.rules.version.hasPrefix("calibrated-") && confirmed.confirmedIncidents == 1)
        var unchanged = confirmed.rules
        unchanged.version = IncidentRules().version
        #expect(unchanged == IncidentRules(), "no threshold moves without evidence that it should")

        // Rejected: the fitted thresholds no longer make the crying an incident, and score
        // the verdicts perfectly where the current rules scored 0.
        let rejected = try calibration.calibrate([.init(id: "crying", report: crying, confirmed: []),
                                                  .init(id: "reading", report: reading, confirmed: [])], current: IncidentRules())
        #expect(rejected.currentTrainingF1 == 0 && rejected.trainingF1 == 1, "\(rejected.currentTrainingF1) → \(rejected.trainingF1)")
        let refitted = IncidentDetector(rules: rejected.rules).incidents(voice: crying.voice, faces: crying.video.tracks, speakers: crying.speakers)
        #expect(refitted.isEmpty, "\(rejected.rules)")
        #expect(rejected.rules != IncidentRules())

        #expect(throws: RulesError.self, "one lesson cannot be cross-validated") {
            try calibration.calibrate([.init(id: "reading", report: reading, confirmed: [])], current: IncidentRules())
        }
    }
}
