@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlReports
@testable import EdControlLab
import Foundation
import Testing

@Suite("Evaluation: DER, VAD score, RTTM")
struct EvaluationTests {
    private func turn(_ start: Double, _ end: Double, _ speaker: String) -> SpeakerTurn {
        SpeakerTurn(start: start, end: end, speaker: speaker)
    }

    @Test func derSplitsErrorsIntoMissFalseAlarmAndConfusion() {
        let reference = [turn(0, 10, "A"), turn(10, 20, "B")]
        // B's second half is attributed to A (confusion 5 s), 2 s of A is missed,
        // and 3 s of speech is invented after the end (false alarm).
        let hypothesis = [turn(2, 10, "x"), turn(10, 15, "y"), turn(15, 20, "x"), turn(20, 23, "y")]
        let der = DiarizationErrorRate.compute(reference: reference, hypothesis: hypothesis, collar: 0)
        #expect(der.totalSpeech == 20)
        #expect(abs(der.missedSpeech - 2) < 1e-9)
        #expect(abs(der.falseAlarm - 3) < 1e-9)
        #expect(abs(der.speakerConfusion - 5) < 1e-9)
        #expect(der.mapping == ["A": "x", "B": "y"])
        #expect(abs(der.errorRate - 0.5) < 1e-9)
    }

    @Test func collarExcludesTimeAroundReferenceBoundaries() {
        let reference = [turn(0, 10, "A")]
        let hypothesis = [turn(0.2, 9.9, "x")]
        #expect(DiarizationErrorRate.compute(reference: reference, hypothesis: hypothesis, collar: 0.25).errorRate == 0)
        let strict = DiarizationErrorRate.compute(reference: reference, hypothesis: hypothesis, collar: 0)
        #expect(abs(strict.missedSpeech - 0.3) < 1e-9)
    }

    @Test func overlappingReferenceSpeechIsScored() {
        let reference = [turn(0, 10, "A"), turn(5, 10, "B")]
        let hypothesis = [turn(0, 10, "x")]
        let der = DiarizationErrorRate.compute(reference: reference, hypothesis: hypothesis, collar: 0)
        #expect(der.totalSpeech == 15)
        #expect(abs(der.missedSpeech - 5) < 1e-9, "one of two overlapping speakers is missed")
        #expect(der.speakerConfusion == 0)
    }

    @Test func hungarianFindsTheBestPairingNotTheGreedyOne() {
        // Greedy would pair row 0 with column 0 (9) and leave 1+1; the optimum is 8+8.
        let pairs = Assignment.maximumWeight([[9, 8], [8, 1]])
        #expect(Set(pairs.map { "\($0.0)-\($0.1)" }) == ["0-1", "1-0"])
        #expect(Assignment.maximumWeight([[1, 5, 2]]).map { $0.1 } == [1])
    }

    @Test func vadScoreCountsFrames() {
        let score = VoiceActivityScore.compute(reference: [TimeSpan(start: 0, end: 1)], hypothesis: [TimeSpan(start: 0.5, end: 1.5)],
                                               duration: 2, frame: 0.01)
        #expect(score.truePositiveFrames == 50)
        #expect(score.falsePositiveFrames == 50)
        #expect(score.falseNegativeFrames == 50)
        #expect(score.trueNegativeFrames == 50)
        #expect(abs(score.f1 - 0.5) < 1e-9)
    }

    @Test func rttmRoundTripsAndRejectsBrokenLines() throws {
        let turns = [turn(1.25, 3.5, "S1"), turn(4, 4.75, "S2")]
        let text = RTTM.render(turns, recordingID: "my lesson")
        #expect(text.hasPrefix("SPEAKER my_lesson 1 1.250 2.250 <NA> <NA> S1 <NA> <NA>\n"))
        #expect(try RTTM.parse(text) == turns)
        #expect(throws: RTTM.ParseError.self) { try RTTM.parse("SPEAKER x 1 abc 2 <NA> <NA> S1 <NA> <NA>") }
    }

    /// Our DER must agree with pyannote.metrics (the reference implementation most papers use).
    @Test func derAgreesWithPyannoteMetrics() throws {
        let dir = try Fixtures.temporaryDirectory()
        var pairs: [(String, String, Double)] = []
        var random = SystemRandomNumberGenerator()
        for index in 0..<6 {
            // Random references and noisy hypotheses with overlaps, misses and false alarms.
            var reference: [SpeakerTurn] = [], hypothesis: [SpeakerTurn] = []
            var time = 0.0
            for _ in 0..<40 {
                let start = max(0, time + Double.random(in: -0.5...1.5, using: &random))
                let end = start + Double.random(in: 0.3...6, using: &random)
                let speaker = ["A", "B", "C"].randomElement(using: &random)!
                reference.append(turn(start, end, speaker))
                let hypSpeaker = Double.random(in: 0...1, using: &random) < 0.8 ? speaker.lowercased() : ["a", "b", "c", "d"].randomElement(using: &random)!
                if Double.random(in: 0...1, using: &random) < 0.9 {
                    hypothesis.append(turn(max(0, start + Double.random(in: -0.4...0.4, using: &random)), end + Double.random(in: -0.4...0.4, using: &random), hypSpeaker))
                }
                time = end
            }
            // Well-formed RTTM: one speaker's turns never overlap each other.
            reference = reference.joiningPauses(shorterThan: 0, acrossOtherSpeakers: true)
            hypothesis = hypothesis.filter { $0.end > $0.start }.joiningPauses(shorterThan: 0, acrossOtherSpeakers: true)
            let ref = dir.appendingPathComponent("ref\(index).rttm"), hyp = dir.appendingPathComponent("hyp\(index).rttm")
            try RTTM.render(reference, recordingID: "x").write(to: ref, atomically: true, encoding: .utf8)
            try RTTM.render(hypothesis, recordingID: "x").write(to: hyp, atomically: true, encoding: .utf8)
            let collar = index % 2 == 0 ? 0.25 : 0
            pairs.append((ref.path, hyp.path, collar))
        }
        for (ref, hyp, collar) in pairs {
            let result = try Fixtures.run(Fixtures.python, [Fixtures.repository.appendingPathComponent("scripts/dev/pyannote_der.py").path,
                                                            ref, hyp, String(collar)])
            #expect(result.status == 0, "pyannote.metrics failed: \(result.stderr)")
            let theirs = Double(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            let ours = DiarizationErrorRate.compute(
                reference: try RTTM.parse(String(contentsOfFile: ref, encoding: .utf8)),
                hypothesis: try RTTM.parse(String(contentsOfFile: hyp, encoding: .utf8)), collar: collar).errorRate
            #expect(abs(ours - theirs) * 100 < 0.5, "ours \(ours) vs pyannote \(theirs) (collar \(collar))")
        }
    }

    /// Accuracy and macro-F1 must be scikit-learn's (macro over classes seen in labels or predictions).
    @Test func classificationScoreAgreesWithScikitLearn() throws {
        var random = SystemRandomNumberGenerator()
        let classes = Emotion.allCases.map(\.rawValue)
        // Class 6 never occurs and class 5 is only ever predicted: both edge cases of macro-F1.
        let truths = (0..<300).map { _ in Int.random(in: 0...4, using: &random) }
        let predictions = truths.map { Double.random(in: 0...1, using: &random) < 0.6 ? $0 : Int.random(in: 0...5, using: &random) }
        var score = ClassificationScore(classes: classes)
        for (truth, predicted) in zip(truths, predictions) { score.add(truth: truth, predicted: predicted) }
        let script = """
            import sys, json
            from sklearn.metrics import accuracy_score, f1_score
            t, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
            print(accuracy_score(t, p), f1_score(t, p, average="macro"))
            """
        let result = try Fixtures.run(Fixtures.python, ["-c", script, "\(truths)", "\(predictions)"])
        #expect(result.status == 0, "scikit-learn failed: \(result.stderr)")
        let theirs = result.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(theirs.count == 2)
        #expect(abs(score.accuracy - theirs[0]) < 1e-9)
        #expect(abs(score.macroF1 - theirs[1]) < 1e-9, "ours \(score.macroF1) vs scikit-learn \(theirs[1])")
        #expect(score.scoredClasses == Array(0...5))
        let baseline = score.mostFrequentClassBaseline
        #expect(baseline.total == score.total)
        let majority = (0...4).max { score.support(of: $0) < score.support(of: $1) }!
        #expect(abs(baseline.accuracy - Double(score.support(of: majority)) / 300) < 1e-9)
    }
}
