/// How talk was shared in a lesson. Percentages are of the whole recording's duration.
public struct TalkMetrics: Codable, Sendable, Equatable {
    public var durationSeconds: Double
    public var teacherTalkPercent: Double
    public var studentTalkPercent: Double
    public var silencePercent: Double
    /// Time when two or more speakers talk at once.
    public var overlapPercent: Double
    /// Teacher's share of all talk (teacher + students), in percent.
    public var teacherShareOfTalkPercent: Double
    /// Conversational turns: one speaker's talk until another speaker starts (see `TalkMetricsCalculator`).
    public var turnCount: Int
    public var longestTeacherMonologueSeconds: Double
    public var meanStudentTurnSeconds: Double
    public var teacherToStudentExchangesPerMinute: Double
    /// Mean silence between the end of a teacher turn and the start of the student turn that answers it.
    public var meanWaitAfterTeacherSeconds: Double
}

/// Computes `TalkMetrics` from speaker turns and roles.
public struct TalkMetricsCalculator: Sendable {
    public struct Settings: Codable, Sendable, Hashable {
        /// Pauses shorter than this inside one speaker's talk do not end their conversational turn.
        public var turnPauseSeconds: Double = 2.0
        public init() {}
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) { self.settings = settings }

    public func metrics(turns: [SpeakerTurn], roles: [String: SpeakerRole], durationSeconds: Double) -> TalkMetrics {
        let duration = max(durationSeconds, 1e-9)
        func percent(_ seconds: Double) -> Double { 100 * seconds / duration }
        let teacherSpans = turns.filter { roles[$0.speaker] == .teacher }.map(\.span)
        let studentSpans = turns.filter { roles[$0.speaker] != .teacher }.map(\.span)
        let teacherTime = Self.unionLength(teacherSpans)
        let studentTime = Self.unionLength(studentSpans)
        let speechTime = Self.unionLength(turns.map(\.span))
        let overlapTime = teacherTime + studentTime - speechTime + Self.overlapWithin(studentTurns: turns.filter { roles[$0.speaker] != .teacher })

        // Conversational turns: a speaker's talk until somebody else speaks, short pauses included.
        let conversation = turns.joiningPauses(shorterThan: settings.turnPauseSeconds)
        let teacherTurns = conversation.filter { roles[$0.speaker] == .teacher }
        let studentTurns = conversation.filter { roles[$0.speaker] != .teacher }
        var exchanges = 0
        var waits: [Double] = []
        for (previous, next) in zip(conversation, conversation.dropFirst())
        where roles[previous.speaker] == .teacher && roles[next.speaker] != .teacher {
            exchanges += 1
            waits.append(max(0, next.start - previous.end))
        }
        return TalkMetrics(
            durationSeconds: durationSeconds,
            teacherTalkPercent: percent(teacherTime),
            studentTalkPercent: percent(studentTime),
            silencePercent: percent(max(0, durationSeconds - speechTime)),
            overlapPercent: percent(max(0, overlapTime)),
            teacherShareOfTalkPercent: teacherTime + studentTime > 0 ? 100 * teacherTime / (teacherTime + studentTime) : 0,
            turnCount: conversation.count,
            longestTeacherMonologueSeconds: teacherTurns.map(\.duration).max() ?? 0,
            meanStudentTurnSeconds: studentTurns.isEmpty ? 0 : studentTurns.map(\.duration).reduce(0, +) / Double(studentTurns.count),
            teacherToStudentExchangesPerMinute: Double(exchanges) / (duration / 60),
            meanWaitAfterTeacherSeconds: waits.isEmpty ? 0 : waits.reduce(0, +) / Double(waits.count)
        )
    }

    static func unionLength(_ spans: [TimeSpan]) -> Double {
        var total = 0.0
        var current: TimeSpan?
        for span in spans.sorted(by: { $0.start < $1.start }) {
            if let open = current, span.start <= open.end {
                current!.end = max(open.end, span.end)
            } else {
                if let open = current { total += open.duration }
                current = span
            }
        }
        return total + (current?.duration ?? 0)
    }

    /// Time two different students talk at once (teacher–student overlap is counted separately).
    private static func overlapWithin(studentTurns: [SpeakerTurn]) -> Double {
        let bySpeaker = Dictionary(grouping: studentTurns, by: \.speaker).values.map { unionLength($0.map(\.span)) }
        return bySpeaker.reduce(0, +) - unionLength(studentTurns.map(\.span))
    }
}
