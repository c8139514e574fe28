import EdControlCore
import Foundation
import Hummingbird

/// Reviewers confirm or reject incidents; confirmed ones are labelled episodes for the next
/// evaluation (`edcontrol eval incidents --ref` reads the episodes export).
struct ReviewRoutes {
    let store: EdControlStore
    let data: DataDirectory

    struct Verdict: Decodable {
        var verdict: IncidentReview.Verdict
        var note: String?
    }

    struct ReviewList: ResponseEncodable {
        var items: [IncidentReview]
        var confirmed: Int
        var rejected: Int
        /// Confirmed / reviewed: how often the incidents shown to reviewers were right.
        var precision: Double?

        init(_ items: [IncidentReview]) {
            self.items = items
            confirmed = items.filter { $0.verdict == .confirmed }.count
            rejected = items.count - confirmed
            precision = items.isEmpty ? nil : Double(confirmed) / Double(items.count)
        }
    }

    struct Episodes: ResponseEncodable {
        var episodes: [SpeakerTurn]
        func encode(to encoder: Encoder) throws { try episodes.encode(to: encoder) }
    }

    func add(to api: RouterGroup<APIContext>) {
        api.post("lessons/:lesson/incidents/:index/review", use: review)
        api.get("lessons/:lesson/reviews") { _, context in
            let caller = try context.require(.viewer)
            let lesson = try await store.lesson(try context.parameters.require("lesson"), of: caller).lesson.id
            return ReviewList(try await store.reviews(lessonID: lesson, schoolID: caller.schoolID))
        }
        // Confirmed incidents as {start, end, speaker}: the reference `eval incidents` takes.
        api.get("lessons/:lesson/reviews/episodes.json") { _, context in
            let caller = try context.require(.viewer)
            let lesson = try await store.lesson(try context.parameters.require("lesson"), of: caller).lesson.id
            return Episodes(episodes: try await store.reviews(lessonID: lesson, schoolID: caller.schoolID)
                .filter { $0.verdict == .confirmed }
                .map { SpeakerTurn(start: $0.start, end: $0.end, speaker: $0.person) })
        }
        api.get("reviews") { _, context in
            ReviewList(try await store.reviews(schoolID: try context.require(.viewer).schoolID))
        }
    }

    @Sendable func review(_ request: Request, context: APIContext) async throws -> EditedResponse<IncidentReview> {
        let caller = try context.require(.manager)
        let lessonID = try context.parameters.require("lesson")
        let index = try context.parameters.require("index", as: Int.self)
        let found = try await store.lesson(lessonID, of: caller)
        let body = try await request.decode(as: Verdict.self, context: context)
        guard let report = data.report(of: found.lesson.id) else {
            throw HTTPError(.conflict, message: "this lesson has no analysis results to review yet")
        }
        guard report.incidents.indices.contains(index) else {
            throw HTTPError(.notFound, message: "the lesson's report has \(report.incidents.count) incidents, numbered from 0; there is no incident \(index)")
        }
        let incident = report.incidents[index]
        let review = IncidentReview(id: newIdentifier(), lessonID: lessonID, schoolID: caller.schoolID, incidentIndex: index,
                                    start: incident.start, end: incident.end, person: incident.person, role: incident.role.rawValue,
                                    modality: incident.modality.rawValue, verdict: body.verdict,
                                    note: body.note.map { String($0.prefix(2000)) }, reviewer: caller.tokenName, reviewedAt: Date())
        let saved = try await store.saveReview(review)
        try await store.audit(caller, "review.save", "lesson \(lessonID) incident \(index)", detail: body.verdict.rawValue)
        return EditedResponse(status: .created, response: saved)
    }
}

extension IncidentReview: ResponseEncodable {}
