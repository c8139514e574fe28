import Foundation

/// Measures of teaching read from the transcript, as TeachFX reads them: how many questions
/// the teacher asks and of which kind, whether students answer and after how long, and how
/// much of what is said the students say. The rules are stated in docs/teaching-measures.md,
/// whose version is `QuestionRules.version`.
public struct TeachingMeasures: Codable, Sendable, Equatable {
    public struct Question: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var text: String
        public var kind: QuestionRules.Kind
        /// A student spoke after it, before the teacher asked again, within the answer window.
        public var answered: Bool
        /// Seconds from the question's end to the next speech by anyone; nil at the lesson's end.
        public var waitSeconds: Double?
    }

    public var questionRulesVersion: String
    public var teacherQuestions: Int
    public var openQuestions: Int
    public var closedQuestions: Int
    /// Questions in a language the rules do not cover.
    public var unclassifiedQuestions: Int
    public var questionsPerHour: Double
    /// Share of the teacher's questions a student answered; nil without questions.
    public var answeredShare: Double?
    /// Mean and median seconds of silence after a teacher's question; nil without questions.
    public var meanWaitSeconds: Double?
    public var medianWaitSeconds: Double?
    public var teacherWords: Int
    public var studentWords: Int
    /// studentWords / (teacherWords + studentWords); nil when neither said a word.
    public var studentWordShare: Double?
    public var questions: [Question]
}

/// Which sentences are questions and whether they are open (they ask for thought: why, how,
/// explain) or closed (yes/no, either/or, a fact: who, when, how many).
public enum QuestionRules {
    public static let version = "2026-12-01.1"

    public enum Kind: String, Codable, Sendable { case open, closed, unclassified }

    /// A sentence (as words, normalised) that ended with a question mark.
    static func kind(of words: [String], language: String) -> Kind {
        guard let first = words.first else { return .closed }
        let second = words.dropFirst().first ?? ""
        func has(_ wanted: Set<String>) -> Bool { words.contains { wanted.contains($0) } }
        func hasPrefix(_ stems: [String]) -> Bool { words.contains { word in stems.contains { word.hasPrefix($0) } } }
        switch language {
        case "en":
            if first == "why" { return .open }
            if first == "how", !["many", "much", "old", "long", "often", "far"].contains(second) { return .open }
            if first == "what", has(["think", "would", "if", "could", "might", "happens", "happen", "else", "mean", "means"]) { return .open }
            if has(["explain", "describe", "justify", "compare"]) || words.starts(with: ["tell", "me"]) { return .open }
            return .closed
        case "ru":
            if ["почему", "зачем", "отчего"].contains(first) { return .open }
            if first == "как", !has(["зовут", "дела"]) { return .open }
            if words.starts(with: ["каким", "образом"]) || words.starts(with: ["что", "если"]) { return .open }
            if hasPrefix(["думаешь", "думаете", "считаешь", "считаете", "объясни", "расскажи", "опиши", "докажи", "сравни"]) { return .open }
            return .closed
        default:
            return .unclassified
        }
    }
}

struct TeachingMeasurer {
    /// A student's speech this long after a question, before the teacher asks again, answers it.
    static let answerWindowSeconds = 10.0

    /// - Parameter durationSeconds: the lesson's length, for questions per hour.
    func measure(_ transcript: Transcript, durationSeconds: Double) -> TeachingMeasures {
        let language = transcript.language ?? ""
        let segments = transcript.segments
        var questions: [TeachingMeasures.Question] = []
        var teacherWords = 0, studentWords = 0
        for (index, segment) in segments.enumerated() {
            let count = Transcript.words(in: segment.text).count
            if segment.role == .teacher { teacherWords += count }
            if segment.role == .student { studentWords += count }
            guard segment.role == .teacher else { continue }
            for sentence in Self.sentences(of: segment) where sentence.text.hasSuffix("?") {
                let words = Transcript.words(in: sentence.text)
                guard !words.isEmpty else { continue }
                // What is said next: later in this segment, else the next segments.
                let nextSpeech = sentence.end < segment.end - 0.05 ? sentence.end : segments[(index + 1)...].first?.start
                let answer = segments[(index + 1)...].prefix { $0.start - sentence.end <= Self.answerWindowSeconds }
                    .prefix { !($0.role == .teacher && $0.text.contains("?")) }
                    .contains { $0.role == .student }
                questions.append(.init(start: sentence.start, end: sentence.end, text: sentence.text,
                                       kind: QuestionRules.kind(of: words, language: language), answered: answer,
                                       waitSeconds: nextSpeech.map { max(0, $0 - sentence.end) }))
            }
        }
        let waits = questions.compactMap(\.waitSeconds).sorted()
        let spoken = teacherWords + studentWords
        return TeachingMeasures(
            questionRulesVersion: QuestionRules.version, teacherQuestions: questions.count,
            openQuestions: questions.filter { $0.kind == .open }.count, closedQuestions: questions.filter { $0.kind == .closed }.count,
            unclassifiedQuestions: questions.filter { $0.kind == .unclassified }.count,
            questionsPerHour: durationSeconds > 0 ? Double(questions.count) / (durationSeconds / 3600) : 0,
            answeredShare: questions.isEmpty ? nil : Double(questions.filter(\.answered).count) / Double(questions.count),
            meanWaitSeconds: waits.isEmpty ? nil : waits.reduce(0, +) / Double(waits.count),
            medianWaitSeconds: waits.isEmpty ? nil : waits[waits.count / 2],
            teacherWords: teacherWords, studentWords: studentWords,
            studentWordShare: spoken > 0 ? Double(studentWords) / Double(spoken) : nil, questions: questions)
    }

    /// The segment cut after each word that ends a sentence (. ? !), with the words' times
    /// (the segment's own when it has no word times).
    static func sentences(of segment: TranscriptSegment) -> [(start: Double, end: Double, text: String)] {
        let words = segment.words ?? [TranscriptWord(start: segment.start, end: segment.end, text: segment.text)]
        var sentences: [(start: Double, end: Double, text: String)] = []
        var current: [TranscriptWord] = []
        for word in words {
            current.append(word)
            if let last = word.text.last, ".?!…".contains(last) {
                sentences.append((current[0].start, word.end, current.map(\.text).joined(separator: " ")))
                current = []
            }
        }
        if !current.isEmpty { sentences.append((current[0].start, current.last!.end, current.map(\.text).joined(separator: " "))) }
        return sentences
    }
}
