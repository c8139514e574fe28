import EdControlEngine
import EdControlService
import Foundation
import Hummingbird

/// `/api/v1/pilot` (managers and admins): the school's pilot figures month by month.
struct PilotRoutes {
    let reporter: PilotReporter

    struct Figures: ResponseEncodable {
        var months: [PilotFigures.Month]
        var contextSeconds: Double
        /// How the minutes saved are estimated, in words.
        var estimate: String
    }

    func add(to api: RouterGroup<APIContext>) {
        api.get("pilot") { request, context -> Figures in
            let caller = try context.require(.manager)
            let asked = try Self.parameters(request)
            let figures = try await reporter.figures(schoolID: caller.schoolID, months: asked.months, contextSeconds: asked.contextSeconds)
            return Figures(months: figures.months, contextSeconds: figures.contextSeconds, estimate: PilotFigures.estimateWords(contextSeconds: figures.contextSeconds))
        }
    }

    /// `?from=YYYY-MM&to=YYYY-MM` (both included; by default the last six months, and `to`
    /// defaults to `from`) and `?contextSeconds=` (default 60).
    static func parameters(_ request: Request) throws -> (months: [String], contextSeconds: Double) {
        var months = PilotFigures.recentMonths()
        let query = request.uri.queryParameters
        if let from = query["from"].map(String.init) {
            months = try PilotFigures.months(from: from, to: query["to"].map(String.init) ?? from)
        }
        var contextSeconds = 60.0
        if let text = query["contextSeconds"] {
            guard let value = Double(String(text)), value.isFinite, (0...600).contains(value) else {
                throw Refusal(.invalid, "refusal_context_seconds")
            }
            contextSeconds = value
        }
        return (months, contextSeconds)
    }
}

extension PilotFigures {
    public static func estimateWords(contextSeconds: Double) -> String {
        "minutes saved = minutes of the analysed lessons (watching each through) − minutes of the flagged lessons' incidents, each with \(Int(contextSeconds)) s around it"
    }
}
