@testable import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
@testable import EdControlService
@testable import EdControlWeb
import Foundation
import Testing

/// The pilot's business figures, worked out by hand on a month of lessons; the API and the
/// page on a real server are checked where lessons are analysed and reviewed
/// (ServiceAPITests.separateWorkerProcessAnalysesTheServersJobs).
@Suite("Pilot figures")
struct PilotTests {
    private func lesson(_ id: String, day: String, flag: String?, minutes: Double) -> Lesson {
        let uploaded = ISO8601DateFormatter().date(from: "\(day)T09:00:00Z")!
        return Lesson(id: id, schoolID: "s", teacherID: nil, title: id, originalFilename: "\(id).mp4", mediaBytes: 1, mediaFile: "recording.mp4",
                      durationSeconds: minutes * 60, hasVideo: true, recordedAt: nil, recordedAtHasTime: true, uploadedAt: uploaded,
                      uploadedBy: "t", flag: flag, incidentCount: nil, teacherTalkPercent: nil, speakerCount: nil, teacherNegativeShare: nil,
                      analysedAt: flag == nil ? nil : uploaded)
    }

    private func review(_ lesson: Lesson, _ verdict: IncidentReview.Verdict, minutesAfterUpload: Double) -> IncidentReview {
        IncidentReview(id: UUID().uuidString, lessonID: lesson.id, schoolID: "s", incidentIndex: 0, start: 0, end: 1, person: "S1", role: "teacher",
                       modality: "voice", verdict: verdict, note: nil, reviewer: "anna", reviewedAt: lesson.uploadedAt.addingTimeInterval(minutesAfterUpload * 60))
    }

    @Test func monthFiguresFollowFromLessonsVerdictsAndIncidents() throws {
        let alert = lesson("alert", day: "2026-11-03", flag: "alert", minutes: 45)
        let flagged = lesson("review", day: "2026-11-10", flag: "review", minutes: 40)
        let lessons = [alert, flagged,
                       lesson("ok", day: "2026-11-12", flag: "ok", minutes: 45),
                       lesson("silent", day: "2026-11-13", flag: "inconclusive", minutes: 30),
                       lesson("queued", day: "2026-11-20", flag: nil, minutes: 50),
                       lesson("december", day: "2026-12-01", flag: "alert", minutes: 60)]
        let reviews = [review(alert, .confirmed, minutesAfterUpload: 30), review(alert, .confirmed, minutesAfterUpload: 35),
                       review(alert, .rejected, minutesAfterUpload: 40), review(flagged, .rejected, minutesAfterUpload: 90)]
        // The alert lesson has incidents of 30 s and 90 s, the review one of 20 s.
        let incidents = ["alert": [TimeSpan(start: 60, end: 90), TimeSpan(start: 600, end: 690)], "review": [TimeSpan(start: 10, end: 30)],
                         "december": [TimeSpan(start: 0, end: 60)]]
        let figures = PilotFigures(months: try PilotFigures.months(from: "2026-10", to: "2026-11"), lessons: lessons, reviews: reviews,
                                   incidents: { incidents[$0.id] ?? [] }, contextSeconds: 60)
        #expect(figures.months.map(\.month) == ["2026-10", "2026-11"])
        #expect(figures.months[0].lessons == 0 && figures.months[0].flaggedShare == nil && figures.months[0].medianMinutesToVerdict == nil)
        let november = figures.months[1]
        #expect(november.lessons == 5 && november.lessonsAnalysed == 4 && november.lessonsFlagged == 2 && november.flaggedShare == 0.5)
        #expect(november.flags == ["ok": 1, "review": 1, "alert": 1, "inconclusive": 1])
        #expect(november.precisionByFlag["alert"] == JudgedIncidents(judged: 3, confirmed: 2) && november.precisionByFlag["review"] == JudgedIncidents(judged: 1, confirmed: 0))
        #expect(november.lessonsWithVerdict == 2 && november.medianMinutesToVerdict == 60, "first verdicts after 30 and 90 minutes")
        #expect(november.minutesRecorded == 160, "45 + 40 + 45 + 30")
        // (30 + 60) + (90 + 60) + (20 + 60) seconds.
        #expect(abs(november.minutesToWatchIncidents - 320.0 / 60) < 1e-9 && abs(november.minutesSaved - (160 - 320.0 / 60)) < 1e-9)
    }

    @Test func monthRangesAreCheckedAndBounded() throws {
        #expect(try PilotFigures.months(from: "2025-11", to: "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"])
        for (from, to) in [("2026-13", "2026-12"), ("2026-11", "2026-10"), ("November", "2026-11"), ("2020-01", "2026-01")] {
            #expect(throws: Refusal.self, "\(from)..\(to)") { try PilotFigures.months(from: from, to: to) }
        }
        let recent = PilotFigures.recentMonths(6, now: ISO8601DateFormatter().date(from: "2026-02-15T00:00:00Z")!)
        #expect(recent == ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"])
    }

    /// Times under an hour read in minutes ("0.0 h" told a manager nothing), in both languages.
    @Test func durationsUnderAnHourReadInMinutes() throws {
        let pages = try PageRenderer()
        let (en, ru) = (try #require(pages.text[.en]), try #require(pages.text[.ru]))
        #expect([0, 2, 40, 59, 60, 90, 605].map { PilotPage.duration($0, en) } == ["0 min", "2 min", "40 min", "59 min", "1.0 h", "1.5 h", "10.1 h"])
        #expect(PilotPage.duration(40, ru) == "40 мин" && PilotPage.duration(90, ru) == "1,5 ч")
    }

    /// The teacher page's chart and table give a lesson's incidents per hour by one rule: only
    /// from half an hour of lesson or more (they disagreed: 40 / h in the chart, "—" in the table).
    @Test func incidentsPerHourFollowOneRuleInChartAndTable() throws {
        var short = lesson("short", day: "2026-11-02", flag: "alert", minutes: 3)
        short.incidentCount = 2
        var long = lesson("long", day: "2026-11-03", flag: "review", minutes: 45)
        long.incidentCount = 3
        let trend = TeacherTrend(teacher: Teacher(id: "t", schoolID: "s", name: "Anna", createdAt: Date()), lessons: [short, long])
        #expect(trend.points.map(TeacherPages.incidentsPerHour) == [nil, 4])
    }

    /// A teacher's figures count the teacher's own incidents: a student's swearing is not the
    /// teacher's doing (lessons analysed before the two were told apart count all of theirs).
    @Test func aTeachersFiguresCountTheirOwnIncidentsOnly() throws {
        var mixed = lesson("mixed", day: "2026-11-04", flag: "alert", minutes: 60)
        mixed.incidentCount = 3
        mixed.teacherIncidentCount = 1
        var older = lesson("older", day: "2026-11-05", flag: "review", minutes: 60)
        older.incidentCount = 2
        let trend = TeacherTrend(teacher: Teacher(id: "t", schoolID: "s", name: "Anna", createdAt: Date()), lessons: [mixed, older])
        #expect(trend.points.map(\.incidentCount) == [1, 2] && trend.incidentsPerHour == 1.5)
    }
}
