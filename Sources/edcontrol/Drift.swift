import ArgumentParser
import EdControlEngine
import EdControlLab
import EdControlService
import Foundation

struct Drift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How the lessons of a current window differ from a reference window, feature by feature (PSI, Kolmogorov–Smirnov).",
        discussion: """
            Each window is a period of analysed lessons in --data (FROM..TO, two days both included) or a folder of \
            report.json files (e.g. an evaluation corpus's analyses). Without either: the last 7 days against the 28 \
            days before. A feature whose PSI is above \(DriftReport.alertPSI) is an alert.
            """)

    @Option(name: .long, help: "Reference period, FROM..TO (e.g. 2026-10-01..2026-10-31).")
    var reference: String?

    @Option(name: .long, help: "Current period, FROM..TO.")
    var current: String?

    @Option(name: .long, help: "A folder of report.json files (searched recursively) as the reference instead of a period.")
    var referenceReports: String?

    @Option(name: .long, help: "A folder of report.json files as the current window instead of a period.")
    var currentReports: String?

    @Option(name: .long, help: "Only this school's lessons (default: every school's).")
    var school: String?

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @OptionGroup var dataOptions: DataOptions

    func validate() throws {
        if reference != nil && referenceReports != nil { throw ValidationError("Give --reference or --reference-reports, not both.") }
        if current != nil && currentReports != nil { throw ValidationError("Give --current or --current-reports, not both.") }
    }

    func run() async throws {
        let defaults = DriftMonitor.defaultWindows()
        let needsStore = referenceReports == nil || currentReports == nil
        let store = needsStore ? try await dataOptions.open().1 : nil
        var schoolID: String?
        if let school, let store {
            guard let found = try await store.school(named: school, createIfMissing: false) else {
                throw ValidationFailure(message: "there is no school named \(school) in \(dataOptions.data)")
            }
            schoolID = found.id
        }
        func side(_ period: String?, _ folder: String?, _ fallback: DateInterval) async throws -> (features: [LessonFeatures], label: String) {
            if let folder { return (try Self.features(inReports: folder), folder) }
            let window = try reportingErrors { try period.map(DriftMonitor.window) ?? fallback }
            let features = try await store!.features(schoolID: schoolID, analysedIn: window)
            return (features, period ?? DriftMonitor.label(window))
        }
        let (referenceSide, currentSide) = (try await side(reference, referenceReports, defaults.reference),
                                            try await side(current, currentReports, defaults.current))
        let report = DriftReport(reference: referenceSide.features, current: currentSide.features,
                                 referenceLabel: referenceSide.label, currentLabel: currentSide.label)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            Self.printTable(report)
        }
    }

    static func features(inReports folder: String) throws -> [LessonFeatures] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { throw ValidationFailure(message: "\(folder): cannot read this folder.") }
        let reports = walker.compactMap { $0 as? String }.filter { $0.hasSuffix("report.json") }.sorted()
            .compactMap { LessonReport.read(from: URL(fileURLWithPath: folder).appendingPathComponent($0)) }
        guard !reports.isEmpty else { throw ValidationFailure(message: "\(folder): no readable report.json in it (analyse recordings with `edcontrol analyze … --out`).") }
        return reports.map(LessonFeatures.init)
    }

    static func printTable(_ report: DriftReport) {
        Swift.print("reference \(report.reference.label): \(report.reference.lessons) lessons; current \(report.current.label): \(report.current.lessons) lessons")
        Swift.print("feature".padding(toLength: 18, withPad: " ", startingAt: 0) + "  n ref  n cur    mean ref    mean cur     PSI   KS D    KS p")
        for feature in report.features {
            func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "—" }
            var line = feature.name.padding(toLength: 18, withPad: " ", startingAt: 0)
            line += String(format: "  %5d  %5d", feature.referenceCount, feature.currentCount)
            line += " " + number(feature.referenceMean, "%11.3f").leftPadded(11) + " " + number(feature.currentMean, "%11.3f").leftPadded(11)
            line += " " + number(feature.psi, "%7.3f").leftPadded(7) + " " + number(feature.kolmogorovSmirnov?.statistic, "%6.3f").leftPadded(6)
                + " " + number(feature.kolmogorovSmirnov?.pValue, "%7.4f").leftPadded(7)
            if feature.alert { line += "  ALERT" }
            if let categories = feature.categories {
                line += "  " + categories.map { String(format: "%@ %.0f%%→%.0f%%", $0.category, 100 * $0.referenceShare, 100 * $0.currentShare) }.joined(separator: ", ")
            }
            if let note = feature.note { line += "  (\(note))" }
            Swift.print(line)
        }
        Swift.print("alert: PSI > \(report.alertPSI); below \(DriftReport.confidentLessons) lessons in a window a numeric feature also needs Kolmogorov–Smirnov p < \(DriftReport.alertKSPValue)")
        Swift.print(report.alerts.isEmpty ? "no feature drifted" : "drift alerts: \(report.alerts.joined(separator: ", "))")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
