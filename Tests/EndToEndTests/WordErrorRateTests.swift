@testable import EdControlTestSupport
import EdControlEngine
import EdControlLab
import Foundation
import Testing

/// Word error rate: hand-checked cases, the same counts as jiwer on Russian and English
/// sentences, and the command line on STM and plain text.
@Suite("Word error rate")
struct WordErrorRateTests {
    @Test func textsAreComparedWithoutCaseAndPunctuation() {
        #expect(Transcript.words(in: "Ну, что-то ЁЖИК сказал: «Don't!»") == ["ну", "что-то", "ежик", "сказал", "don't"])
        #expect(Transcript.words(in: " -- 3.5 ") == ["3", "5"])
        let score = WordErrorRate.compute(reference: "the cat sat on the mat", hypothesis: "The cat sat on a mat today.")
        #expect(score == WordErrorRate(referenceWords: 6, hypothesisWords: 7, substitutions: 1, deletions: 0, insertions: 1))
        #expect(abs(score.rate - 2.0 / 6) < 1e-12)
        #expect(WordErrorRate.compute(reference: "", hypothesis: "").rate == 0 && WordErrorRate.compute(reference: "", hypothesis: "a").rate == 1)
        #expect(WordErrorRate.compute(reference: "a b c", hypothesis: "").deletions == 3)
    }

    @Test func countsMatchJiwer() throws {
        let pairs = [("Сегодня мы разберём квадратные уравнения и их корни", "сегодня мы разберем квадратное уравнение и корни"),
                     ("Откройте, пожалуйста, учебник на странице сорок два", "откройте пожалуйста учебник на странице 42"),
                     ("I asked you to do the homework yesterday", "i ask you to do homework yesterday evening please"),
                     ("why did you not answer the question", "why didn't you answer the question"),
                     ("один два три четыре пять", "пять четыре три два один"),
                     ("short", "a completely different and much longer sentence")]
        let file = try Fixtures.temporaryDirectory("wer").appendingPathComponent("pairs.json")
        try JSONSerialization.data(withJSONObject: pairs.map { [Transcript.words(in: $0.0).joined(separator: " "), Transcript.words(in: $0.1).joined(separator: " ")] })
            .write(to: file)
        let script = """
            import sys, json, jiwer
            for ref, hyp in json.load(open(sys.argv[1])):
                o = jiwer.process_words(ref, hyp)
                print(o.substitutions, o.deletions, o.insertions)
            """
        let result = try Fixtures.run(Fixtures.python, ["-c", script, file.path])
        #expect(result.status == 0, "jiwer failed: \(result.stderr)")
        let expected = result.stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { Int($0) } }
        #expect(expected.count == pairs.count)
        for (pair, counts) in zip(pairs, expected) {
            let ours = WordErrorRate.compute(reference: pair.0, hypothesis: pair.1)
            #expect([ours.substitutions, ours.deletions, ours.insertions].reduce(0, +) == counts.reduce(0, +), "\(pair): \(ours) vs jiwer \(counts)")
            #expect([ours.substitutions, ours.deletions, ours.insertions] == counts, "\(pair): \(ours) vs jiwer \(counts)")
        }
    }

    @Test func commandLineScoresSTMAndPlainText() throws {
        let folder = try Fixtures.temporaryDirectory("wer-cli")
        let reference = folder.appendingPathComponent("ref.stm")
        try """
            ;; two recordings
            lesson-1 A teacher 5.0 9.0 <o,f0,male> откройте учебник
            lesson-1 A teacher 0.0 4.5 <o,f0,male> добрый день
            lesson-2 A student 0.0 3.0 I did my homework
            lesson-2 A student 3.0 4.0 ignore_time_segment_in_scoring
            """.write(to: reference, atomically: true, encoding: .utf8)
        let hypotheses = folder.appendingPathComponent("hyp")
        try FileManager.default.createDirectory(at: hypotheses.appendingPathComponent("lesson-2"), withIntermediateDirectories: true)
        try "Добрый день! Откройте учебники.".write(to: hypotheses.appendingPathComponent("lesson-1.txt"), atomically: true, encoding: .utf8)
        try "I did homework".write(to: hypotheses.appendingPathComponent("lesson-2/transcript.txt"), atomically: true, encoding: .utf8)
        let run = try Fixtures.run(Fixtures.edcontrol, ["eval", "wer", "--ref", reference.path, "--hyp", hypotheses.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let pooled = try #require(json["pooled"] as? [String: Any])
        #expect(pooled["referenceWords"] as? Int == 8 && pooled["substitutions"] as? Int == 1 && pooled["deletions"] as? Int == 1
                && pooled["insertions"] as? Int == 0, "\(json)")
        let missing = try Fixtures.run(Fixtures.edcontrol, ["eval", "wer", "--ref", reference.path, "--hyp", folder.appendingPathComponent("nothing").path])
        #expect(missing.status != 0 && missing.stderr.contains("does not exist"))
        let broken = folder.appendingPathComponent("broken.stm")
        try "lesson-1 A teacher zero 4.5 hello".write(to: broken, atomically: true, encoding: .utf8)
        let refused = try Fixtures.run(Fixtures.edcontrol, ["eval", "wer", "--ref", broken.path, "--hyp", hypotheses.path])
        #expect(refused.status != 0 && refused.stderr.contains("line 1 is not an STM segment"), "\(refused.stderr)")
    }
}
