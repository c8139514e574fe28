import EdControlEngine
import EdControlReports
import EdControlStorage
import Foundation

// Erasure and retention: a lesson's rows go before its files, and what a crash between the
// two leaves behind is swept at the next start.
extension LessonService {
    /// Deletes a lesson, its recording and everything derived from it (the right to
    /// erasure), and audits it. The rows go first, so a worker analysing it now fails to
    /// store results; if the files cannot be removed now, `sweep` removes them later.
    public func erase(_ id: String, by caller: Principal) async throws {
        let removed = try await files.changing {
            guard let removed = try await store.deleteLesson(id: id, schoolID: caller.schoolID) else {
                throw Refusal(.notFound, "refusal_no_lesson", .text(id))
            }
            await removeFiles(ofLesson: removed.id)
            return removed
        }
        try await store.audit(caller, "lesson.delete", "lesson \(removed.id)", detail: "\(removed.originalFilename), its recording and all results")
    }

    /// Deletes recordings uploaded before `cutoff` while keeping their reports: lesson
    /// videos show minors, and the figures are what schools need to keep. A lesson being
    /// analysed keeps its recording until the analysis ends.
    func expireRecordings(uploadedBefore cutoff: Date) async throws {
        for lesson in try await store.lessonsWithMedia(uploadedBefore: cutoff) {
            if let job = try await store.lesson(id: lesson.id, schoolID: lesson.schoolID)?.job, !job.state.isFinished { continue }
            try await files.changing {
                try await store.clearMedia(lessonID: lesson.id)
                if let recording = try FileName.recording(of: lesson) { try? await files.delete(recording) }
                // The faces' pictures are cut from the recording and go with it.
                try? await files.deleteAll(under: FileName.results(of: lesson).appending(FaceThumbnails.folder))
            }
            try await store.record(AuditEvent(schoolID: lesson.schoolID, actor: "retention policy", action: "media.expired",
                                              target: "lesson \(lesson.id)", detail: "recording \(lesson.originalFilename) deleted; the report is kept"))
            logger.info("recording deleted by the retention policy", metadata: ["lesson": "\(lesson.id)"])
        }
    }

    /// Deletes what no lesson owns any more: the files of lessons whose rows are gone (the
    /// process stopped between the two steps of an erasure), sets of results no lesson names
    /// (a worker stopped before its success was recorded) and uploads abandoned by a crash,
    /// each once older than `age` (younger ones may be being written). Returns how many
    /// lessons' files, sets and uploads it deleted. Run at start.
    @discardableResult
    public func sweep(olderThan age: TimeInterval = 86400) async throws -> Int {
        let cutoff = Date().addingTimeInterval(-age)
        // lessons/<id>/<folder>/…: each lesson's folders, with when a file in them was last written.
        var lessons: [String: [String: Date]] = [:]
        for file in try await files.list(under: FileName.lessons) {
            let components = file.name.path.split(separator: "/").map(String.init)
            guard components.count > 2 else { continue }
            let folder = components.count > 3 ? components[2] : ""  // "": the lesson's own files (its recording)
            lessons[components[1], default: [:]][folder] = max(lessons[components[1]]?[folder] ?? .distantPast, file.modified)
        }
        let published = try await store.publishedResults()
        var removed = 0
        for (lessonID, folders) in lessons {
            guard let publishedSet = published[lessonID] else {
                await removeFiles(ofLesson: lessonID)
                removed += 1
                continue
            }
            for (set, written) in folders where set != publishedSet && (ResultsSet.isSet(set) || set.hasPrefix(".")) && written < cutoff {
                try? await files.deleteAll(under: FileName.results(lessonID: lessonID, set: set))
                removed += 1
            }
        }
        for upload in try await files.list(under: FileName.uploads) where upload.modified < cutoff {
            try? await files.delete(upload.name)
            removed += 1
        }
        if removed > 0 { logger.notice("deleted files that no lesson owns", metadata: ["count": "\(removed)"]) }
        return removed
    }

    /// Works out again, from their stored reports, the list figures of lessons summarised by
    /// an earlier release (`AnalysisSummary.version`), so that old and new lessons are
    /// compared alike. A lesson whose report cannot be read keeps its figures.
    @discardableResult
    public func refreshOutdatedSummaries() async throws -> Int {
        var refreshed = 0
        for lesson in try await store.lessonsWithOutdatedSummaries() {
            guard let report = await files.report(of: lesson) else {
                logger.warning("cannot read a lesson's report to bring its list figures up to date", metadata: ["lesson": "\(lesson.id)"])
                continue
            }
            try await store.updateSummary(lessonID: lesson.id, summary: AnalysisSummary(report))
            refreshed += 1
        }
        if refreshed > 0 { logger.notice("brought lessons' list figures up to date", metadata: ["count": "\(refreshed)"]) }
        return refreshed
    }

    /// Deletes every file of the lesson; one that cannot be deleted now is by the next start's sweep.
    func removeFiles(ofLesson id: String) async {
        do {
            try await files.deleteAll(under: FileName.lesson(id))
        } catch {
            logger.error("cannot delete a lesson's files; they will be deleted at the next start", metadata: ["lesson": "\(id)", "error": "\(error)"])
        }
    }
}
