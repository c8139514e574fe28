import EdControlEngine
import EdControlStorage
import Foundation
import Hummingbird

/// `/api/v1/transcripts/search`: words said in a school's lessons; `/api/v1/settings`: the
/// school's transcription setting.
struct TranscriptRoutes {
    let store: any LessonStore & TranscriptStore & AuditStore

    struct SearchResult: ResponseEncodable {
        var query: String
        var hits: [TranscriptHit]
    }

    struct SchoolSettings: Codable, ResponseEncodable {
        /// auto, off, or a language code.
        var transcription: TranscriptionChoice
    }

    func add(to api: RouterGroup<APIContext>) {
        api.get("transcripts/search", use: search)
        api.get("settings") { _, context in
            SchoolSettings(transcription: try await store.transcriptionChoice(schoolID: try context.require(.viewer).schoolID))
        }
        api.put("settings", use: updateSettings)
    }

    /// `q`: the words (each a prefix, all must occur); `lessonId`: only in that lesson (in the
    /// order said); `limit`: at most this many lines (50 unless given, up to 500).
    @Sendable func search(_ request: Request, context: APIContext) async throws -> SearchResult {
        let caller = try context.require(.viewer)
        let parameters = request.uri.queryParameters
        let query = try TranscriptSearchQuery(parameters["q"].map(String.init) ?? "")
        let lessonID = parameters["lessonId"].map(String.init)
        if let lessonID { _ = try await store.lesson(lessonID, of: caller) }  // another school's lesson is a 404
        let limit = try Paging(request, defaultLimit: 50, maxLimit: 500).limit
        let hits = try await query.hits(lessonID: lessonID, limit: limit, for: caller, in: store)
        return SearchResult(query: query.words.joined(separator: " "), hits: hits)
    }

    @Sendable func updateSettings(_ request: Request, context: APIContext) async throws -> SchoolSettings {
        let caller = try context.require(.admin)
        let body = try await request.decode(as: [String: String].self, context: context)
        guard let given = body["transcription"], body.count == 1 else {
            throw HTTPError(.badRequest, message: "send {\"transcription\": \"auto\" | \"off\" | a language code such as \"ru\"}")
        }
        let choice = try TranscriptionChoice.parse(given, field: "transcription")
        try await store.setTranscriptionChoice(choice, schoolID: caller.schoolID)
        try await store.audit(caller, "settings.update", "school", detail: "transcription \(choice)")
        return SchoolSettings(transcription: choice)
    }
}

extension TranscriptHit: ResponseEncodable {}
