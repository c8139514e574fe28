import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// Reviewers confirm or reject incidents, and correct confirmed ones (other times, another
/// person, another modality); confirmed ones, as corrected, are labelled episodes for the
/// next evaluation (`edcontrol eval incidents --ref` reads the episodes export).
struct ReviewRoutes {
    let store: any LessonStore & ReviewStore
    let lessons: LessonService

    struct Verdict: Decodable {
        var verdict: IncidentReview.Verdict
        var note: String?
        /// A correction of a confirmed incident; any part may be left out.
        var start: Double?
        var end: Double?
        var person: String?
        var modality: String?

        var correction: ReviewCorrection { ReviewCorrection(start: start, end: end, person: person, modality: modality) }
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
        // A teacher reads the verdicts on their own lessons' incidents.
        api.get("lessons/:lesson/reviews") { _, context in
            let caller = try context.require(.teacher)
            let lesson = try await store.lesson(try context.parameters.require("lesson"), of: caller).lesson.id
            return ReviewList(try await store.reviews(lessonID: lesson, schoolID: caller.schoolID))
        }
        // Confirmed incidents as {start, end, speaker}: the reference `eval incidents` takes.
        api.get("lessons/:lesson/reviews/episodes.json") { _, context in
            let caller = try context.require(.viewer)
            let lesson = try await store.lesson(try context.parameters.require("lesson"), of: caller).lesson.id
            return Episodes(episodes: try await store.reviews(lessonID: lesson, schoolID: caller.schoolID)
                .filter { $0.verdict == .confirmed }
                .map { SpeakerTurn(start: $0.labelledSpan.start, end: $0.labelledSpan.end, speaker: $0.labelledPerson) })
        }
        api.get("reviews") { _, context in
            ReviewList(try await store.reviews(schoolID: try context.require(.viewer).schoolID))
        }
    }

    @Sendable func review(_ request: Request, context: APIContext) async throws -> EditedResponse<IncidentReview> {
        let caller = try context.require(.manager)
        let lessonID = try context.parameters.require("lesson")
        _ = try await store.lesson(lessonID, of: caller)  // another school's lesson is a 404 whatever the body
        let body = try await request.decode(as: Verdict.self, context: context)
        let saved = try await lessons.review(body.verdict, note: body.note, correction: body.correction, lessonID: lessonID,
                                             index: try context.parameters.require("index", as: Int.self), by: caller)
        return EditedResponse(status: .created, response: saved)
    }
}

extension IncidentReview: ResponseEncodable {}
