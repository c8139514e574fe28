@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlReports
import Foundation
import Testing

/// The teaching measures and verbal incidents read from a transcript, by the rules of
/// docs/teaching-measures.md.
@Suite("Teaching measures")
struct TeachingTests {
    /// A segment whose words are spread evenly over its span.
    private func segment(_ start: Double, _ end: Double, _ role: SpeakerRole, _ text: String) -> TranscriptSegment {
        let words = text.split(separator: " ").map(String.init)
        let step = (end - start) / Double(words.count)
        return TranscriptSegment(start: start, end: end, speaker: role == .teacher ? "S1" : "S2", role: role, text: text,
                                 words: words.enumerated().map { TranscriptWord(start: start + Double($0.offset) * step,
                                                                                end: start + Double($0.offset + 1) * step, text: $0.element) })
    }

    @Test func questionsAreOpenOrClosedByTheDocumentsRules() {
        let examples: [(String, String, QuestionRules.Kind)] = [
            ("en", "What is the capital of France?", .closed), ("en", "What do you think happens next?", .open),
            ("en", "Is it clear?", .closed), ("en", "Why did the ice melt?", .open), ("en", "How many legs has a spider?", .closed),
            ("en", "How did you get that?", .open), ("en", "Can you explain your answer?", .open), ("en", "Tell me more?", .open),
            ("ru", "Почему так получилось?", .open), ("ru", "Сколько будет два плюс два?", .closed), ("ru", "Как тебя зовут?", .closed),
            ("ru", "Как ты это решил?", .open), ("ru", "А ты как думаешь?", .open), ("ru", "Понятно?", .closed),
            ("ru", "Объясните, пожалуйста, ваш ответ?", .open), ("de", "Warum?", .unclassified),
        ]
        for (language, text, kind) in examples {
            #expect(QuestionRules.kind(of: Transcript.words(in: text), language: language) == kind, "\(language): \(text)")
        }
    }

    @Test func questionsAnswersWaitAndWordsAreCountedFromTheTranscript() {
        let transcript = Transcript(language: "en", languageProbability: 0.99, model: "whisper-base 1.0.0", segments: [
            segment(0, 6, .teacher, "Good morning. Why does ice float? Think about it."),  // the question ends at 4 s, speech goes on
            segment(9, 11, .student, "Because it is lighter."),
            segment(12, 14, .teacher, "Is that right?"),                                      // wait 4 s, then the teacher asks again
            segment(18, 20, .teacher, "Anyone at all?"),                                      // no student within 10 s: unanswered
            segment(40, 41, .student, "Yes."),
        ])
        let measures = TeachingMeasurer().measure(transcript, durationSeconds: 1800)
        #expect(measures.questionRulesVersion == QuestionRules.version)
        #expect(measures.teacherQuestions == 3 && measures.openQuestions == 1 && measures.closedQuestions == 2)
        #expect(measures.questionsPerHour == 6)
        #expect(measures.questions.map(\.answered) == [true, false, false])
        #expect(measures.questions.map(\.waitSeconds) == [0, 4, 20])
        #expect(measures.medianWaitSeconds == 4 && abs((measures.meanWaitSeconds ?? 0) - 8) < 1e-9)
        #expect(measures.teacherWords == 9 + 3 + 3 && measures.studentWords == 4 + 1)
        #expect(abs((measures.studentWordShare ?? 0) - 5.0 / 20) < 1e-9)
        #expect(abs((measures.answeredShare ?? 0) - 1.0 / 3) < 1e-9)
    }

    @Test func lexiconFindsWordFormsButNotInnocentWords() {
        let lexicon = VerbalLexicon()
        func kinds(_ text: String, _ language: String) -> [VerbalLexicon.Kind] {
            lexicon.matches(in: Transcript.words(in: text), language: language).map(\.kind)
        }
        #expect(kinds("Ты что, идиотом родился?", "ru") == [.insult])
        #expect(kinds("Заткнись! Закрой рот.", "ru") == [.sharp, .sharp])
        #expect(kinds("Сучок упал с дерева, а дураковаляние кончилось.", "ru").isEmpty, "сучок and дураковаляние are not insults")
        #expect(kinds("Ну ёб твою мать", "ru") == [.profanity], "ё is folded to е")
        #expect(kinds("Shut up, you stupid boy!", "en") == [.sharp, .insult])
        #expect(kinds("Shut up, you stupid boy!", "ru").isEmpty, "only the lesson's language is looked for")
        #expect(kinds("The shutters are up. Shitake mushrooms.", "en").isEmpty)
        #expect(VerbalLexicon().sha256 == lexicon.sha256 && lexicon.version == VerbalLexicon.builtInVersion)
    }

    @Test func wordsSaidBecomeIncidentsMergedWithTheSamePersonsVoice() {
        let transcript = Transcript(language: "en", languageProbability: nil, model: "whisper-base 1.0.0", segments: [
            segment(10, 12, .teacher, "You are useless."), segment(30, 32, .student, "What the fuck.")])
        let verbal = VerbalIncidentFinder(lexicon: VerbalLexicon()).matches(in: transcript)
        #expect(verbal.map(\.said) == ["useless.", "fuck."] && verbal.map(\.speaker) == ["S1", "S2"])

        let voice = VoiceReport(baselines: [], turns: [], raisedVoice: [
            .init(start: 9, end: 11, speaker: "S1", peakLoudnessLUFS: -12, peakAboveBaselineLU: 12, meanAboveBaselineLU: 10, meanArousal: 0.8)])
        let speakers = [Speaker(id: "S1", role: .teacher, roleConfidence: 0.8, roleSource: .mostTalkTime, talkSeconds: 100),
                        Speaker(id: "S2", role: .student, roleConfidence: 0.8, roleSource: .mostTalkTime, talkSeconds: 30)]
        let incidents = IncidentDetector().incidents(voice: voice, faces: [], speakers: speakers, verbal: verbal)
        #expect(incidents.count == 2, "\(incidents)")
        #expect(incidents[0].modality == .both && incidents[0].findings.map(\.kind) == [.raisedVoice, .verbal])
        #expect(incidents[0].peakIntensity == 0.8 && incidents[0].evidence.last == "said \u{201C}useless.\u{201D} (insult)")
        #expect(incidents[1].modality == .words && incidents[1].person == "S2" && incidents[1].role == .student)
        #expect(incidents[1].peakIntensity == 0.75 && incidents[1].end - incidents[1].start >= 0.999)
        #expect(ChartWords.english.modality(of: incidents[0]) == "voice + words")
    }
}
