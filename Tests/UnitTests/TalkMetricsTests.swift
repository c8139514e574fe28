@testable import EdControlTestSupport
import EdControlEngine
import Testing

@Suite("Talk metrics")
struct TalkMetricsTests {
    @Test func figuresFollowFromTurns() {
        let turns = [
            SpeakerTurn(start: 0, end: 20, speaker: "T"),   // teacher monologue, 20 s
            SpeakerTurn(start: 21, end: 25, speaker: "S1"), // answer after 1 s
            SpeakerTurn(start: 24, end: 30, speaker: "T"),  // teacher cuts in: 1 s overlap
            SpeakerTurn(start: 30.5, end: 32, speaker: "T"), // short pause: same conversational turn
            SpeakerTurn(start: 35, end: 41, speaker: "S2"), // answer after 3 s
        ]
        let roles: [String: SpeakerRole] = ["T": .teacher, "S1": .student, "S2": .student]
        let m = TalkMetricsCalculator().metrics(turns: turns, roles: roles, durationSeconds: 60)
        // Teacher 20 + 6 + 1.5 = 27.5 s; students 4 + 6 = 10 s; speech union 36.5 s; overlap 1 s.
        #expect(abs(m.teacherTalkPercent - 100 * 27.5 / 60) < 1e-9)
        #expect(abs(m.studentTalkPercent - 100 * 10 / 60) < 1e-9)
        #expect(abs(m.silencePercent - 100 * 23.5 / 60) < 1e-9)
        #expect(abs(m.overlapPercent - 100 * 1 / 60) < 1e-9)
        #expect(abs(m.teacherShareOfTalkPercent - 100 * 27.5 / 37.5) < 1e-9)
        #expect(m.turnCount == 4)
        #expect(m.longestTeacherMonologueSeconds == 20)
        #expect(m.meanStudentTurnSeconds == 5)
        #expect(m.teacherToStudentExchangesPerMinute == 2)
        #expect(m.meanWaitAfterTeacherSeconds == 2)
    }

    @Test func emptyLessonHasOnlySilence() {
        let m = TalkMetricsCalculator().metrics(turns: [], roles: [:], durationSeconds: 30)
        #expect(m.silencePercent == 100)
        #expect(m.turnCount == 0 && m.teacherToStudentExchangesPerMinute == 0)
    }
}
