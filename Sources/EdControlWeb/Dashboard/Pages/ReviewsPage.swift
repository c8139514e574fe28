import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/reviews`: incidents of recent lessons that nobody has confirmed or rejected yet,
/// strongest first, and how often reviewers have found incidents right so far.
struct ReviewsPage {
    let store: any LessonStore & ReviewStore
    let pages: PageRenderer
    let reports: ReportCache
    /// How many of the latest analysed lessons are searched for unreviewed incidents.
    static let lessonsSearched = 50
    static let shown = 100

    struct Pending {
        var lesson: String
        var lessonHref: String
        var lessonID: String
        var index: Int
        var clock: String
        var who: String
        var modality: String
        var peak: String
        var peakPercent: Int
        var evidence: String
    }

    struct Model {
        var pending: [Pending]
        var pendingSummary: String
        var empty: Bool
        var canReview: Bool
        var mine: String
        var school: String
    }

    func add(to router: Router<APIContext>) {
        router.get("reviews", use: show)
    }

    @Sendable func show(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context)
        let t = pages.text(for: request)
        let words = t.chartWords
        let sentences = IncidentWords(t: t, words: words)
        let reviews = try await store.reviews(schoolID: caller.schoolID)
        var reviewed: [String: Set<Int>] = [:]
        for review in reviews { reviewed[review.lessonID, default: []].insert(review.incidentIndex) }

        var query = LessonQuery()
        query.state = .succeeded
        query.limit = Self.lessonsSearched
        var pending: [(peak: Double, row: Pending)] = []
        for item in try await store.lessons(schoolID: caller.schoolID, matching: query).items where (item.lesson.incidentCount ?? 0) > 0 {
            guard let report = await reports.report(of: item.lesson) else { continue }
            for (index, incident) in report.incidents.enumerated() where !(reviewed[item.lesson.id]?.contains(index) ?? false) {
                pending.append((incident.peakIntensity, Pending(
                    lesson: item.lesson.title, lessonHref: "/lessons/\(item.lesson.id)?t=\(Int(incident.start))#incident-\(index)", lessonID: item.lesson.id, index: index,
                    clock: ClockTime.format(incident.start), who: "\(incident.person) · \(words.roles[incident.role] ?? "")",
                    modality: words.modality(of: incident), peak: t.number(incident.peakIntensity, decimals: 2),
                    peakPercent: Int(incident.peakIntensity * 100), evidence: sentences.evidence(incident))))
            }
        }
        pending.sort { $0.peak > $1.peak }

        func precision(_ reviews: [IncidentReview]) -> String {
            guard !reviews.isEmpty else { return t["reviews_none_yet"] }
            let confirmed = reviews.filter { $0.verdict == .confirmed }.count
            return t.format("reviews_precision", t.percent(Double(confirmed) / Double(reviews.count)), confirmed, reviews.count)
        }
        let model = Model(pending: pending.prefix(Self.shown).map(\.row),
                          pendingSummary: pending.count <= Self.shown ? t.count("reviews_pending_all", pending.count)
                                                                      : t.count("reviews_pending_some", pending.count, Self.shown),
                          empty: pending.isEmpty, canReview: caller.role >= .manager,
                          mine: precision(reviews.filter { $0.reviewer == caller.tokenName }), school: precision(reviews))
        return pages.render("reviews", title: t["reviews_title"], model: model, request: request, context: context)
    }
}
