import EdControlEngine
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/search?q=…`: lines of the school's transcripts that have the words, grouped by lesson
/// (newest first) and in the order said, the words found highlighted, each opening its
/// lesson playing at the second it was said.
struct SearchPage {
    let store: any TranscriptStore & AuditStore
    let pages: PageRenderer

    struct Run { var text: String; var matched: Bool }
    struct Hit { var href: String; var clock: String; var who: String; var runs: [Run] }
    struct LessonHits { var href: String; var title: String; var date: String; var teacher: String?; var hits: [Hit] }

    struct Model {
        var query: String
        var summary: String?
        var lessons: [LessonHits]
        var error: String?
    }

    func add(to router: Router<APIContext>) {
        router.get("search") { request, context in
            let caller = try PageRenderer.signedIn(request, context)
            let t = pages.text(for: request)
            let text = request.uri.queryParameters["q"].map(String.init) ?? ""
            var model = Model(query: text, summary: nil, lessons: [], error: nil)
            if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                do {
                    let query = try TranscriptSearchQuery(text)
                    let hits = try await query.hits(lessonID: nil, limit: 100, for: caller, in: store)
                    model.lessons = Self.grouped(hits, query, t)
                    model.summary = hits.isEmpty ? t["search_none"] : t.count("search_results", hits.count)
                } catch let refusal as Refusal {
                    model.error = refusal.sentence(in: t)
                }
            }
            return pages.render("search", title: t["search_title"], model: model, request: request, context: context,
                                status: model.error == nil ? .ok : .badRequest)
        }
    }

    /// The hits by lesson, in the store's order (newest lesson first, each in the order said).
    static func grouped(_ hits: [TranscriptHit], _ query: TranscriptSearchQuery, _ t: InterfaceText) -> [LessonHits] {
        var lessons: [LessonHits] = []
        for hit in hits {
            // Lesson ids are letters, digits and hyphens: a path segment as they are.
            let page = "/lessons/\(hit.lessonID)"
            let line = Hit(href: "\(page)?t=\(Int(hit.start))#transcript", clock: ClockTime.format(hit.start), who: who(said: hit, t),
                           runs: query.highlighted(hit.text).map { Run(text: $0.text, matched: $0.matched) })
            if lessons.last?.href == page {
                lessons[lessons.count - 1].hits.append(line)
            } else {
                lessons.append(LessonHits(href: page, title: hit.lessonTitle, date: t.date(hit.lessonDate), teacher: hit.teacherName, hits: [line]))
            }
        }
        return lessons
    }

    /// Who said the line, as a manager knows them: the teacher by name, else the role.
    static func who(said hit: TranscriptHit, _ t: InterfaceText) -> String {
        switch hit.role {
        case "teacher": return hit.teacherName ?? t["search_who_teacher"]
        case "student": return t["search_who_student"]
        default: return t["transcript_unknown_speaker"]
        }
    }
}
