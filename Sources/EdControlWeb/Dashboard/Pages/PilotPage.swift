import EdControlEngine
import EdControlService
import Foundation
import Hummingbird

/// `/pilot` (managers and admins): the pilot's business figures, month by month — lessons
/// analysed and flagged, how often reviewers confirmed incidents at each flag level, how soon
/// a verdict came after upload, and the estimated manager time saved.
struct PilotPage {
    let reporter: PilotReporter
    let pages: PageRenderer

    struct Row {
        var month: String; var analysed: String; var flagged: String; var flags: [String]
        var precisionReview: String; var precisionAlert: String; var verdicts: String
        var hoursRecorded: String; var hoursToWatch: String; var hoursSaved: String
    }

    struct Model {
        var from: String
        var to: String
        var contextSeconds: String
        var rows: [Row]
        var totalSaved: String
        var error: String?
    }

    func add(to router: Router<APIContext>) {
        router.get("pilot") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .manager)
            let t = pages.text(for: request)
            let asked: (months: [String], contextSeconds: Double)
            var error: String?
            do {
                asked = try PilotRoutes.parameters(request)
            } catch let refusal as Refusal {
                asked = (PilotFigures.recentMonths(), 60)
                error = refusal.sentence(in: t)
            }
            let figures = try await reporter.figures(schoolID: caller.schoolID, months: asked.months, contextSeconds: asked.contextSeconds)
            let model = Model(from: asked.months.first ?? "", to: asked.months.last ?? "", contextSeconds: t.number(asked.contextSeconds),
                              rows: figures.months.map { row($0, t) },
                              totalSaved: Self.duration(figures.months.map(\.minutesSaved).reduce(0, +), t), error: error)
            return pages.render("pilot", title: t["pilot_title"], model: model, request: request, context: context,
                                status: error == nil ? .ok : .badRequest)
        }
    }

    private func row(_ month: PilotFigures.Month, _ t: InterfaceText) -> Row {
        func precision(_ judged: JudgedIncidents?) -> String {
            guard let judged, let value = judged.precision else { return "—" }
            return "\(t.percent(value)) (\(judged.confirmed) / \(judged.judged))"
        }
        let date = PilotFigures.start(of: month.month) ?? Date()
        var style = Date.FormatStyle().month(.wide).year().locale(t.language.locale)
        style.timeZone = TimeZone(identifier: "UTC")!
        return Row(month: date.formatted(style), analysed: "\(month.lessonsAnalysed) / \(month.lessons)",
                   flagged: "\(month.lessonsFlagged)" + (month.flaggedShare.map { " (\(t.percent($0)))" } ?? ""),
                   flags: PilotFigures.flagLevels.map { "\(t["flag_\($0)"]) \(month.flags[$0] ?? 0)" },
                   precisionReview: precision(month.precisionByFlag["review"]), precisionAlert: precision(month.precisionByFlag["alert"]),
                   verdicts: month.medianMinutesToVerdict.map { "\(t.number($0)) \(t["pilot_minutes"]) (\(month.lessonsWithVerdict))" } ?? "—",
                   hoursRecorded: Self.duration(month.minutesRecorded, t), hoursToWatch: Self.duration(month.minutesToWatchIncidents, t),
                   hoursSaved: Self.duration(month.minutesSaved, t))
    }

    /// Minutes under an hour, hours from one hour on ("40 min", not "0.7 h" or "0.0 h").
    static func duration(_ minutes: Double, _ t: InterfaceText) -> String {
        minutes < 59.5 ? "\(t.number(minutes)) \(t["pilot_minutes"])" : "\(t.number(minutes / 60, decimals: 1)) \(t["pilot_hours"])"
    }
}
