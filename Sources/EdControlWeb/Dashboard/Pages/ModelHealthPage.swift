import EdControlEngine
import EdControlLab
import EdControlService
import Foundation
import Hummingbird

/// `/monitoring` (admins): "Model health" — how the school's recent lessons differ from a
/// reference period, each feature's distributions side by side, and alerts past the
/// stated threshold (PSI > 0.2).
struct ModelHealthPage {
    let monitor: DriftMonitor
    let pages: PageRenderer

    struct Row {
        /// The feature's id (for the row's anchor) and its name in the reader's language.
        var id: String
        var name: String
        var counts: String
        var referenceMean: String
        var currentMean: String
        var psi: String
        var ks: String
        var alert: Bool
        var note: String?
        /// Paired bars of each bin's (or category's) share: reference, then current.
        var chart: String
        var categories: String?
    }

    struct Model {
        var reference: String
        var current: String
        var referenceLessons: Int
        var currentLessons: Int
        var alerts: String?
        var rows: [Row]
        var error: String?
    }

    func add(to router: Router<APIContext>) {
        router.get("monitoring") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .admin)
            let t = pages.text(for: request)
            let windows: (reference: DateInterval, current: DateInterval)
            do {
                windows = try MonitoringRoutes.windows(request)
            } catch let error as Refusal {
                let defaults = DriftMonitor.defaultWindows()
                let model = Model(reference: DriftMonitor.label(defaults.reference), current: DriftMonitor.label(defaults.current),
                                  referenceLessons: 0, currentLessons: 0, alerts: nil, rows: [], error: error.sentence(in: t))
                return pages.render("monitoring", title: t["health_title"], model: model, request: request, context: context, status: .badRequest)
            }
            let report = try await monitor.report(schoolID: caller.schoolID, reference: windows.reference, current: windows.current)
            let model = Model(reference: report.reference.label, current: report.current.label, referenceLessons: report.reference.lessons,
                              currentLessons: report.current.lessons,
                              alerts: report.alerts.isEmpty ? nil : report.alerts.map { Self.featureName($0, t) }.joined(separator: ", "),
                              rows: report.features.map { row($0, t) }, error: nil)
            return pages.render("monitoring", title: t["health_title"], model: model, request: request, context: context)
        }
    }

    private func row(_ feature: DriftReport.Feature, _ t: InterfaceText) -> Row {
        func number(_ value: Double?, _ decimals: Int) -> String { value.map { t.number($0, decimals: decimals) } ?? "—" }
        let shares = feature.bins?.map { ($0.referenceShare, $0.currentShare) } ?? feature.categories?.map { ($0.referenceShare, $0.currentShare) } ?? []
        return Row(id: feature.name, name: Self.featureName(feature.name, t), counts: "\(feature.referenceCount) / \(feature.currentCount)",
                   referenceMean: number(feature.referenceMean, 3), currentMean: number(feature.currentMean, 3), psi: number(feature.psi, 3),
                   ks: feature.kolmogorovSmirnov.map { "D \(t.number($0.statistic, decimals: 3)), p \(t.number($0.pValue, decimals: 4))" } ?? "—",
                   // The only note is that a window has too few lessons: said here in the reader's language.
                   alert: feature.alert, note: feature.note.map { _ in t.format("health_too_few", feature.referenceCount, feature.currentCount, DriftReport.minimumLessons) },
                   chart: Self.bars(shares, label: Self.featureName(feature.name, t)),
                   categories: feature.categories?.map { "\($0.category) \(t.number(100 * $0.referenceShare))→\(t.number(100 * $0.currentShare)) %" }
                       .joined(separator: ", "))
    }

    /// A feature's name in words ("speechShare" is "share of speech"; "emotion.sad" is "sad faces").
    static func featureName(_ name: String, _ t: InterfaceText) -> String {
        if name.hasPrefix("emotion.") { return t.format("feature_emotion", t["emotion_\(name.dropFirst("emotion.".count))"]) }
        return t["feature_\(name)"]
    }

    /// An SVG of paired bars (no text but the accessible label, which is a feature name).
    static func bars(_ shares: [(Double, Double)], label: String) -> String {
        guard !shares.isEmpty else { return "" }
        let width = 12.0, gap = 4.0, height = 40.0
        let top = max(shares.map { max($0.0, $0.1) }.max() ?? 1, 1e-9)
        var svg = #"<svg class="drift-bars" viewBox="0 0 \#(Double(shares.count) * (2 * width + gap)) \#(height)" width="\#(Double(shares.count) * (2 * width + gap))" height="\#(height)" role="img" aria-label="\#(label)">"#
        for (index, share) in shares.enumerated() {
            let x = Double(index) * (2 * width + gap)
            for (offset, value, kind) in [(0.0, share.0, "drift-reference"), (width, share.1, "drift-current")] {
                let bar = max(0.5, height * value / top)
                svg += String(format: #"<rect class="%@" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>"#, kind, x + offset, height - bar, width - 1, bar)
            }
        }
        return svg + "</svg>"
    }
}
