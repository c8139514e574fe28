import EdControlEngine
import EdControlReports
import Foundation

/// A line chart of one figure over a teacher's lessons, as SVG: a y axis with round ticks
/// and its unit, one labelled x tick per lesson (thinned when there are many), points that
/// link to their lesson, and a dashed line at the mean. Hand-written like ReportCharts: no
/// Swift package draws SVG charts.
struct TrendChart {
    struct Point {
        var label: String
        var value: Double?
        var href: String
        var tooltip: String
    }

    var title: String
    var unit: String
    var meanLabel: String
    var colour: String
    var points: [Point]
    /// What the chart says when no lesson has a value (why there is none).
    var noValues: String
    /// Numbers in the page's language ("1.5" or "1,5"), with so many decimals.
    var number: (Double, Int) -> String

    // Small enough that its 12-unit text shows at 12 px or more on a phone (about 340 px for
    // a chart) and when three charts share a row on a laptop.
    static let width = 320.0, height = 210.0
    static let left = 44.0, right = 12.0, top = 44.0, bottom = 30.0
    /// Units a character of 12-px text takes, at most.
    static let unitsPerCharacter = 7.0

    func svg() -> String {
        let values = points.compactMap(\.value)
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        let step = Self.niceStep(for: max(values.max() ?? 1, 1e-9))
        let top = max(step * 4, (((values.max() ?? 0) / step).rounded(.up)) * step)
        // Lessons' labels are centred on their points: the first and last points sit half a
        // label in from the plot's ends, so that their labels stay inside the chart.
        let labelWidth = Double(points.map(\.label.count).max() ?? 0) * Self.unitsPerCharacter
        let inset = min(plotWidth / 2, labelWidth / 2)
        func x(_ index: Int) -> Double {
            points.count == 1 ? Self.left + plotWidth / 2 : Self.left + inset + Double(index) / Double(points.count - 1) * (plotWidth - 2 * inset)
        }
        func y(_ value: Double) -> Double { Self.top + plotHeight * (1 - value / top) }
        let escape = ReportCharts.escape
        var svg = "<svg class=\"chart trend\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" width=\"100%\" role=\"img\" aria-label=\"\(escape(title)), \(escape(unit))\">\n"
        svg += "<title>\(escape(title))</title>\n"
        for tick in stride(from: 0.0, through: top + step / 2, by: step) {
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>",
                          Self.left, y(tick), Self.left + plotWidth, y(tick), Self.left - 6, y(tick) + 4, format(tick, step: step))
        }
        svg += String(format: "\n<text x=\"4\" y=\"14\" class=\"axis-unit\">%@</text>\n", escape(unit))
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n", Self.left, y(0), Self.left + plotWidth, y(0))
        // As many lessons' labels as fit side by side, the last one always.
        let fitting = max(1, Int(plotWidth / (labelWidth + 8)))
        let every = max(1, Int((Double(points.count) / Double(fitting)).rounded(.up)))
        for (index, point) in points.enumerated() where index == points.count - 1 || (index % every == 0 && points.count - 1 - index >= every) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", x(index), Self.height - Self.bottom + 18, escape(point.label))
        }
        if !values.isEmpty {
            // The mean: a dashed line across the plot, named in a legend line under the unit
            // (a label on the line itself would lie over the points).
            let mean = values.reduce(0, +) / Double(values.count)
            svg += String(format: "\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#666\" stroke-dasharray=\"4 4\"/>",
                          Self.left, y(mean), Self.left + plotWidth, y(mean))
            svg += String(format: "<line x1=\"4\" y1=\"27\" x2=\"24\" y2=\"27\" stroke=\"#666\" stroke-dasharray=\"4 4\"/><text x=\"28\" y=\"31\" class=\"mean\">%@ %@</text>\n",
                          escape(meanLabel), format(mean, step: step / 10))
        }
        let line = points.enumerated().compactMap { index, point in point.value.map { String(format: "%.1f,%.1f", x(index), y($0)) } }
        if line.count > 1 { svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(line.joined(separator: " "))\"/>\n" }
        for (index, point) in points.enumerated() {
            guard let value = point.value else { continue }
            svg += String(format: "<a href=\"%@\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%@\"><title>%@</title></circle></a>",
                          escape(point.href), x(index), y(value), colour, escape(point.tooltip))
        }
        if values.isEmpty {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", Self.left + plotWidth / 2, Self.top + plotHeight / 2, escape(noValues))
        }
        return svg + "\n</svg>"
    }

    /// 1, 2 or 5 times a power of ten, giving about four ticks up to `maximum`.
    static func niceStep(for maximum: Double) -> Double {
        let rough = maximum / 4
        let power = pow(10, floor(log10(rough)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
    }

    /// With as many decimals as the step needs.
    func format(_ value: Double, step: Double) -> String {
        number(value, max(0, min(3, Int(-floor(log10(max(step, 1e-9)))))))
    }
}
