import EdControlEngine
import EdControlReports
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/lessons`: upload, list, read, delete, re-analyse, and the analysis results.
struct LessonRoutes {
    let store: any LessonStore & AuditStore
    let files: any LessonFiles
    let lessons: LessonService

    func add(to api: RouterGroup<APIContext>) {
        let routes = api.group("lessons")
        routes.post(use: upload)
        routes.get(use: list)
        api.get("lessons.csv", use: export)
        routes.get(":lesson", use: get)
        routes.delete(":lesson", use: delete)
        routes.post(":lesson/analyses", use: reanalyse)
        routes.get(":lesson/report.json") { request, context in
            try await result(ReportWriter.reportFile, contentType: "application/json", request, context)
        }
        routes.get(":lesson/diarization.rttm") { request, context in
            try await result(ReportWriter.rttmFile, contentType: "text/plain; charset=utf-8", request, context)
        }
        routes.get(":lesson/timeline.vtt") { request, context in
            try await result(ReportWriter.vttFile, contentType: "text/vtt; charset=utf-8", request, context)
        }
        routes.get(":lesson/incidents.csv") { request, context in
            try await result(ReportWriter.incidentsFile, contentType: "text/csv; charset=utf-8", request, context)
        }
        for (file, type) in [(ReportWriter.transcriptTextFile, "text/plain"), (ReportWriter.transcriptVTTFile, "text/vtt"),
                             (ReportWriter.transcriptSRTFile, "application/x-subrip")] {
            routes.get(RouterPath(":lesson/\(file)")) { request, context in
                try await result(file, contentType: "\(type); charset=utf-8", request, context)
            }
        }
        routes.get(":lesson/recording", use: recording)
        routes.head(":lesson/recording", use: recording)
        routes.get(":lesson/faces/:face", use: face)
    }

    /// The recording, with HTTP range requests so that a player can seek without loading
    /// the whole file. (Hummingbird's FileMiddleware does ranges too, but serves a folder
    /// by URL path; this file is found through the caller's school, and read from the lesson
    /// files whatever holds them.)
    @Sendable func recording(_ request: Request, context: APIContext) async throws -> Response {
        let found = try await lesson(context, role: .teacher)
        guard let name = try FileName.recording(of: found.lesson), let stored = try await files.info(name), stored.size > 0 else {
            throw HTTPError(.notFound, message: "the recording of this lesson has been deleted (retention policy); its results are kept")
        }
        let size = Int(stored.size)
        var headers: HTTPFields = [.acceptRanges: "bytes", .contentType: Self.mediaType(of: name.lastComponent),
                                   .cacheControl: "private, max-age=3600"]
        guard let rangeHeader = request.headers[.range] else {
            headers[.contentLength] = String(size)
            if request.method == .head { return Response(status: .ok, headers: headers) }
            return Response(status: .ok, headers: headers, body: body(of: name, range: nil))
        }
        guard let range = Self.byteRange(rangeHeader, size: size) else {
            throw HTTPError(.rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)"],
                            message: "the range \(rangeHeader) is not within the recording's \(size) bytes")
        }
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        headers[.contentLength] = String(range.count)
        if request.method == .head { return Response(status: .partialContent, headers: headers) }
        return Response(status: .partialContent, headers: headers,
                        body: body(of: name, range: Int64(range.lowerBound)..<Int64(range.upperBound) + 1))
    }

    /// A stored file's bytes (of `range`, or all) as a response body, streamed.
    private func body(of name: FileName, range: Range<Int64>?) -> ResponseBody {
        ResponseBody { [files] writer in
            try await files.read(name, range: range) { try await writer.write($0) }
            try await writer.finish(nil)
        }
    }

    /// A face track's picture (`F1.jpg`), while the recording is kept.
    @Sendable func face(_ request: Request, context: APIContext) async throws -> Response {
        let found = try await lesson(context, role: .teacher)
        let name = try context.parameters.require("face")
        // Only a track's own file name: nothing else of the results folder is reachable this way.
        guard name.wholeMatch(of: /[A-Za-z]+[0-9]+\.jpg/) != nil else {
            throw HTTPError(.notFound, message: "there is no face picture \(name); they are named like F1.jpg")
        }
        let picture = try FileName.results(of: found.lesson).appending(FaceThumbnails.folder).appending(name)
        guard found.lesson.analysedAt != nil, try await files.info(picture) != nil else {
            throw HTTPError(.notFound, message: "this lesson has no picture \(name) (no such face, or the recording has been deleted)")
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=3600"], body: body(of: picture, range: nil))
    }

    /// A `Range: bytes=…` header (one range: first-last, first-, or -suffix) as the bytes
    /// it asks for, clamped to the file; nil if it cannot be served. Several ranges in one
    /// request are not served: players never ask for them.
    static func byteRange(_ header: String, size: Int) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let bounds = header.dropFirst("bytes=".count).split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard bounds.count == 2 else { return nil }
        // A position past what Int holds (a client asking for "everything" as 2^64) is past
        // the end of any file, so it is clamped like any other.
        func position(_ text: String) -> Int? {
            guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else { return nil }
            return Int(text) ?? Int.max
        }
        switch (position(bounds[0]), position(bounds[1])) {
        case let (first?, last?) where first <= last && first < size: return first...min(last, size - 1)
        case let (first?, nil) where bounds[1].isEmpty && first < size: return first...(size - 1)
        case let (nil, suffix?) where bounds[0].isEmpty && suffix > 0: return max(0, size - suffix)...(size - 1)
        default: return nil
        }
    }

    static func mediaType(of file: String) -> String {
        switch (file as NSString).pathExtension.lowercased() {
        case "mp4", "m4v", "mov": "video/mp4"
        case "webm": "video/webm"
        case "mkv": "video/x-matroska"
        case "m4a": "audio/mp4"
        case "mp3": "audio/mpeg"
        case "wav": "audio/wav"
        case "ogg", "oga", "opus": "audio/ogg"
        case "flac": "audio/flac"
        default: "application/octet-stream"
        }
    }

    /// The body is the recording itself (any content type), streamed to disk; details come
    /// in the query: `filename` (recommended), `title`, `teacherId`, `recordedAt` (ISO 8601),
    /// `transcription` (auto, off or a language code; the school's setting if absent).
    /// Everything that can be checked without the body is checked before it is received.
    @Sendable func upload(_ request: Request, context: APIContext) async throws -> EditedResponse<LessonWithJob> {
        let caller = try context.require(.manager)
        let query = request.uri.queryParameters
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length > lessons.limits.maxUploadBytes {
            throw HTTPError(.contentTooLarge, message: "the file is \(LessonService.megabytes(length)) and the limit is \(LessonService.megabytes(lessons.limits.maxUploadBytes)); "
                + "compress the recording or ask the administrator to raise --max-upload-mb")
        }
        if request.headers[.contentLength] == "0" {
            throw HTTPError(.badRequest, message: "the upload is empty (0 bytes); send the recording as the request body")
        }
        let recorded = try GivenDate(query["recordedAt"], name: "recordedAt")
        let details = LessonService.Details(title: query["title"].map(String.init), originalFilename: query["filename"].map(String.init) ?? "recording",
                                            teacherID: query["teacherId"].map(String.init), recordedAt: recorded?.date,
                                            recordedAtHasTime: recorded?.hasTime ?? true,
                                            transcription: try query["transcription"].map { try TranscriptionChoice.parse(String($0), field: "transcription") })
        let stored = try await lessons.upload(request.body, details: details, by: caller)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/lessons/\(stored.lesson.id)"], response: stored)
    }

    @Sendable func list(_ request: Request, context: APIContext) async throws -> LessonList {
        let caller = try context.require(.teacher)
        var query = try LessonQuery(request.uri.queryParameters)
        query.restrict(to: caller)
        let page = try Paging(request, defaultLimit: 50, maxLimit: 500)
        (query.limit, query.offset) = (page.limit, page.offset)
        let (items, total) = try await store.lessons(schoolID: caller.schoolID, matching: query)
        return LessonList(items: items, total: total, limit: query.limit, offset: query.offset)
    }

    /// Every lesson matching the list's filters (up to `exportLimit`), one row each, for
    /// spreadsheets: the school-wide export.
    @Sendable func export(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.require(.teacher)
        var query = try LessonQuery(request.uri.queryParameters)
        query.restrict(to: caller)
        query.limit = Self.exportLimit
        let lessons = try await store.lessons(schoolID: caller.schoolID, matching: query).items
        let names = Dictionary(uniqueKeysWithValues: try await store.teachers(schoolID: caller.schoolID).map { ($0.id, $0.name) })
        let iso = ISO8601DateFormatter()
        func number(_ value: Double?, _ decimals: Int) -> String { value.map { String(format: "%.\(decimals)f", $0) } ?? "" }
        let rows = lessons.map { item -> [String] in
            let lesson = item.lesson
            return [lesson.id, lesson.title, lesson.teacherID.flatMap { names[$0] } ?? "",
                    lesson.recordedAt.map { lesson.recordedAtHasTime ? iso.string(from: $0) : String(iso.string(from: $0).prefix(10)) } ?? "",
                    iso.string(from: lesson.uploadedAt), number(lesson.durationSeconds, 1), item.job?.state.rawValue ?? "",
                    lesson.flag ?? "", lesson.incidentCount.map(String.init) ?? "", number(lesson.teacherTalkPercent, 1),
                    lesson.speakerCount.map(String.init) ?? "", number(lesson.teacherNegativeShare.map { $0 * 100 }, 1),
                    lesson.analysedAt.map(iso.string) ?? ""]
        }
        try await store.audit(caller, "lessons.export", "\(rows.count) lessons", detail: request.uri.query)
        let csv = CSV.document(header: ["lesson_id", "title", "teacher", "recorded_at", "uploaded_at", "duration_seconds", "analysis",
                                        "flag", "incidents", "teacher_talk_percent", "speakers", "teacher_negative_face_percent", "analysed_at"],
                               rows: rows)
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                               .contentDisposition: "attachment; filename=\"lessons.csv\""],
                        body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    static let exportLimit = 10_000

    @Sendable func get(_ request: Request, context: APIContext) async throws -> LessonWithJob {
        let found = try await lesson(context, role: .teacher)
        try await store.audit(try context.require(.teacher), "lesson.read", "lesson \(found.lesson.id)")
        return found
    }

    @Sendable func delete(_ request: Request, context: APIContext) async throws -> Response {
        try await lessons.erase(try context.parameters.require("lesson"), by: try context.require(.manager))
        return Response(status: .noContent)
    }

    @Sendable func reanalyse(_ request: Request, context: APIContext) async throws -> EditedResponse<Job> {
        let job = try await lessons.reanalyse(try context.parameters.require("lesson"), by: try context.require(.manager))
        return EditedResponse(status: .accepted, headers: [.location: "/api/v1/jobs/\(job.id)"], response: job)
    }

    /// A results file of the latest successful analysis.
    private func result(_ file: String, contentType: String, _ request: Request, _ context: APIContext) async throws -> Response {
        let found = try await lesson(context, role: .teacher)
        let name = try FileName.results(of: found.lesson).appending(file)
        guard found.lesson.analysedAt != nil else {
            throw HTTPError(.notFound, message: "this lesson has no results yet (its analysis is \(found.job?.state.rawValue ?? "not queued"))")
        }
        guard try await files.info(name) != nil else {
            throw HTTPError(.notFound, message: ReportWriter.transcriptFiles.contains(file)
                ? "this lesson's analysis made no transcript; report.json's transcript.note says why"
                : "this lesson's results have no \(file)")
        }
        try await store.audit(try context.require(.teacher), "results.read", "lesson \(found.lesson.id)", detail: file)
        return Response(status: .ok, headers: [.contentType: contentType], body: body(of: name, range: nil))
    }

    private func lesson(_ context: APIContext, role: Role) async throws -> LessonWithJob {
        try await store.lesson(try context.parameters.require("lesson"), of: try context.require(role))
    }

}

struct LessonList: ResponseEncodable {
    var items: [LessonWithJob]
    var total: Int
    var limit: Int
    var offset: Int
}

extension LessonWithJob: ResponseEncodable {}
extension Job: ResponseEncodable {}
