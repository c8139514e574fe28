import EdControlCore
import Foundation
import Hummingbird

/// `/search?q=…`: lines of the school's transcripts that have the words, each opening its
/// lesson at the second it was said.
struct SearchPage {
    let store: EdControlStore
    let pages: PageRenderer

    struct Hit { var href: String; var lesson: String; var clock: String; var who: String; var text: String }

    struct Model {
        var query: String
        var summary: String?
        var hits: [Hit]
        var error: String?
    }

    func add(to router: Router<APIContext>) {
        router.get("search") { request, context in
            let caller = try PageRenderer.signedIn(request, context)
            let t = pages.text(for: request)
            let text = request.uri.queryParameters["q"].map(String.init) ?? ""
            var model = Model(query: text, summary: nil, hits: [], error: nil)
            if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                do {
                    let hits = try await TranscriptSearchQuery(text).hits(lessonID: nil, limit: 100, for: caller, in: store)
                    model.hits = hits.map { hit in
                        Hit(href: "/lessons/\(PageRenderer.encoded(hit.lessonID))?t=\(Int(hit.start))#transcript", lesson: hit.lessonTitle,
                            clock: ReportCharts.formatClock(hit.start),
                            who: hit.speaker.map { "\($0) · \(t["role_\(hit.role ?? "unknown")"])" } ?? t["transcript_unknown_speaker"],
                            text: hit.text)
                    }
                    model.summary = hits.isEmpty ? t["search_none"] : t.count("search_results", hits.count)
                } catch let refusal as HTTPError {
                    model.error = refusal.body
                }
            }
            return pages.render("search", title: t["search_title"], model: model, request: request, context: context,
                                status: model.error == nil ? .ok : .badRequest)
        }
    }
}
