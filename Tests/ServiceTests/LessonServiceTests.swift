@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
@testable import EdControlService
import Foundation
import Hummingbird
import Testing

/// The owner of a lesson's life, on a real store and real files (both backends; the sweep,
/// which ages files by hand, on the data folder) and real ffprobe: rows and files come and
/// go together, and what a crash leaves behind is swept.
@Suite("Lesson service")
struct LessonServiceTests {
    private func service(on backend: TestBackend = .embedded) async throws -> (LessonService, Principal) {
        let (_, store, files) = try await backend.open("lessons")
        let school = try #require(try await store.school(named: "School A", createIfMissing: true))
        let token = try await store.createToken(schoolID: school.id, name: "manager", role: .manager, expiresAt: nil).token
        return (LessonService(store: store, files: files), Principal(tokenID: token.id, tokenName: token.name, schoolID: school.id, role: .manager))
    }

    /// A real recording, uploaded.
    private func uploaded(_ lessons: LessonService, by caller: Principal) async throws -> LessonWithJob {
        try await lessons.upload(file: URL(fileURLWithPath: Fixtures.librivox[0]), details: details(), by: caller)
    }

    private func stored(_ name: FileName?, in lessons: LessonService) async throws -> Bool {
        guard let name else { return false }
        return try await lessons.files.info(name) != nil
    }

    private func details(_ title: String? = nil, teacher: String? = nil) -> LessonService.Details {
        LessonService.Details(title: title, originalFilename: "lesson.wav", teacherID: teacher, recordedAt: nil)
    }

    @Test(arguments: TestBackend.allCases) func acceptedLessonOwnsItsFileAndErasureRemovesRowsThenFiles(_ backend: TestBackend) async throws {
        let (lessons, manager) = try await service(on: backend)
        let stored = try await uploaded(lessons, by: manager)
        #expect(try await self.stored(FileName.recording(of: stored.lesson), in: lessons) && stored.job?.state == .queued)
        #expect(try await lessons.files.list(under: FileName.uploads).isEmpty, "the upload moved, not copied")

        // A webhook delivery about it names it: erasure takes it too, and leaves other lessons' deliveries.
        _ = try await lessons.store.addWebhook(schoolID: manager.schoolID, url: "https://lms.example.org/hook", secret: "a-long-shared-secret")
        try await lessons.store.queueEvent(schoolID: manager.schoolID, lessonID: stored.lesson.id, event: "job.succeeded") { _ in "{\"title\": \"lesson\"}" }
        try await lessons.store.queueEvent(schoolID: manager.schoolID, lessonID: "another lesson", event: "job.succeeded") { _ in "{}" }
        #expect(try await lessons.store.dueDeliveries(limit: 10, lockSeconds: 0).count == 2)

        try await lessons.erase(stored.lesson.id, by: manager)
        #expect(try await lessons.store.lesson(id: stored.lesson.id, schoolID: manager.schoolID) == nil)
        #expect(try await lessons.store.dueDeliveries(limit: 10, lockSeconds: 0).map(\.0.lessonID) == ["another lesson"])
        #expect(try await lessons.files.list(under: FileName.lesson(stored.lesson.id)).isEmpty)
        let audit = try await lessons.store.auditEvents(schoolID: manager.schoolID, limit: 10, offset: 0)
        #expect(audit.first?.action == "lesson.delete")
        await #expect(throws: (any Error).self, "a second erasure finds nothing") { try await lessons.erase(stored.lesson.id, by: manager) }
    }

    @Test(arguments: TestBackend.allCases) func refusedUploadsLeaveNothingAndDetailsAreCheckedBeforeAnyBytes(_ backend: TestBackend) async throws {
        let (lessons, manager) = try await service(on: backend)
        await #expect(throws: (any Error).self) { try await lessons.check(details(String(repeating: "x", count: 301)), by: manager) }
        await #expect(throws: (any Error).self) { try await lessons.check(details(teacher: "nobody"), by: manager) }
        let notMedia = try Fixtures.temporaryDirectory("not-media").appendingPathComponent("lesson.wav")
        try Data("just text, not a recording".utf8).write(to: notMedia)
        await #expect(throws: Refusal.self) { try await lessons.upload(file: notMedia, details: details(), by: manager) }
        #expect(try await lessons.files.list(under: FileName.uploads).isEmpty)
        #expect(try await lessons.store.publishedResults().isEmpty)
        #expect(try await lessons.files.list(under: FileName.lessons).isEmpty)
    }

    /// The process stopped between removing a lesson's rows and its files, an upload was
    /// cut off by a crash, and a worker stopped before its results were published: at the
    /// next start these are swept once a day old, and nothing else is (not the published
    /// results, not an upload or a run still being written).
    @Test func sweepDeletesWhatNoLessonOwns() async throws {
        let (lessons, manager) = try await service()
        let files = lessons.files
        let kept = try await uploaded(lessons, by: manager)
        let orphan = try await uploaded(lessons, by: manager)
        _ = try await lessons.store.deleteLesson(id: orphan.lesson.id, schoolID: manager.schoolID)  // rows gone, files not
        let (stale, fresh) = (try FileName.upload("stale"), try FileName.upload("fresh"))
        let published = try FileName.results(lessonID: kept.lesson.id, set: ResultsSet.beforeRuns).appending("report.json")
        let (abandoned, running) = (try FileName.results(lessonID: kept.lesson.id, set: "results-job-1").appending("report.json"),
                                    try FileName.results(lessonID: kept.lesson.id, set: "results-job-2").appending("report.json"))
        for name in [stale, fresh, published, abandoned, running] { try await files.put(name, data: Data(count: 1000)) }
        let local = try #require(files as? LocalFolderFiles).data.root
        for name in [stale, abandoned, published] {
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-2 * 86400)], ofItemAtPath: local.appendingPathComponent(name.path).path)
        }

        #expect(try await lessons.sweep() == 3)
        #expect(try await files.list(under: FileName.lesson(orphan.lesson.id)).isEmpty)
        let (staleLeft, freshLeft) = (try await self.stored(stale, in: lessons), try await self.stored(fresh, in: lessons))
        #expect(!staleLeft && freshLeft, "an upload in progress stays")
        let (abandonedLeft, runningLeft) = (try await self.stored(abandoned, in: lessons), try await self.stored(running, in: lessons))
        #expect(!abandonedLeft && runningLeft, "a run being written stays")
        #expect(try await self.stored(published, in: lessons), "the set the lesson names stays, however old")
        #expect(try await self.stored(FileName.recording(of: kept.lesson), in: lessons))
        #expect(try await lessons.sweep() == 0)
    }

    /// A re-analysis renumbers the speakers an enrolment names, so neither is queued while
    /// the other waits or runs (no worker here: the jobs stay queued as long as the test needs).
    @Test(arguments: TestBackend.allCases) func reanalysisAndVoiceEnrolmentOfOneLessonExcludeEachOther(_ backend: TestBackend) async throws {
        let (lessons, manager) = try await service(on: backend)
        let stored = try await uploaded(lessons, by: manager)
        let teacher = try await lessons.store.createTeacher(schoolID: manager.schoolID, name: "Ivan")
        await #expect(throws: StoreConflict.self, "the first analysis is still queued") {
            try await lessons.store.enqueueVoiceEnrolment(teacherID: teacher.id, lessonID: stored.lesson.id, speaker: "S1",
                                                          schoolID: manager.schoolID, maxAttempts: 3)
        }
        _ = try await lessons.store.cancel(jobID: try #require(stored.job?.id), schoolID: manager.schoolID)
        let enrolment = try await lessons.store.enqueueVoiceEnrolment(teacherID: teacher.id, lessonID: stored.lesson.id, speaker: "S1",
                                                                      schoolID: manager.schoolID, maxAttempts: 3)
        let refused = await #expect(throws: Refusal.self) { try await lessons.reanalyse(stored.lesson.id, by: manager) }
        #expect(refused?.kind == .conflict && refused?.key == "refusal_lesson_busy", "\(String(describing: refused))")
        _ = try await lessons.store.cancel(jobID: enrolment.id, schoolID: manager.schoolID)
        #expect(try await lessons.reanalyse(stored.lesson.id, by: manager).state == .queued)
    }

    /// A queued lesson whose recording went before a worker took it fails like any other
    /// failure: through the lessons' owner, so the school's webhooks hear `job.failed`.
    @Test(arguments: TestBackend.allCases) func aJobWhoseRecordingIsGoneFailsAndTellsTheWebhooks(_ backend: TestBackend) async throws {
        let (lessons, manager) = try await service(on: backend)
        let stored = try await uploaded(lessons, by: manager)
        _ = try await lessons.store.addWebhook(schoolID: manager.schoolID, url: "https://lms.example.org/hook", secret: "a-long-shared-secret")
        // As the retention policy or an erasure of the recording leaves it.
        try await lessons.files.delete(try #require(FileName.recording(of: stored.lesson)))
        try await lessons.store.clearMedia(lessonID: stored.lesson.id)

        let worker = AnalysisWorker(id: "w", lessons: lessons, models: try Fixtures.registry())
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        var deliveries: [(WebhookDelivery, Webhook)] = []
        for _ in 0..<100 where deliveries.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            deliveries = try await lessons.store.dueDeliveries(limit: 10, lockSeconds: 0)
        }
        #expect(deliveries.map(\.0.event) == ["job.failed"] && deliveries.map(\.0.lessonID) == [stored.lesson.id])
        let jobID = try #require(stored.job?.id)
        let job = try #require(try await lessons.store.job(id: jobID, schoolID: manager.schoolID))
        #expect(job.state == .failed && job.failureReason == "recording_missing", "\(job)")
    }

    @Test(arguments: TestBackend.allCases) func expiredRecordingsGoAndTheirLessonsStay(_ backend: TestBackend) async throws {
        let (lessons, manager) = try await service(on: backend)
        let stored = try await uploaded(lessons, by: manager)
        // Queued: not expired while a job may still read it.
        try await lessons.expireRecordings(uploadedBefore: Date().addingTimeInterval(60))
        #expect(try await lessons.store.lesson(id: stored.lesson.id, schoolID: manager.schoolID)?.lesson.mediaFile != nil)
        _ = try await lessons.store.cancel(jobID: try #require(stored.job?.id), schoolID: manager.schoolID)
        try await lessons.expireRecordings(uploadedBefore: Date().addingTimeInterval(60))
        let after = try #require(try await lessons.store.lesson(id: stored.lesson.id, schoolID: manager.schoolID))
        let recordingLeft = try await self.stored(FileName.recording(of: stored.lesson), in: lessons)
        #expect(after.lesson.mediaFile == nil && !recordingLeft)
        await #expect(throws: (any Error).self, "nothing left to analyse") { try await lessons.reanalyse(stored.lesson.id, by: manager) }
    }
}
