import EdControlEngine
import EdControlLab
import EdControlStorage
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Drift between two windows of analysed lessons, as the API, the Model health page, the
/// gauges and the command line ask for it.
public struct DriftMonitor: Sendable {
    let store: MonitoringStore

    public init(store: MonitoringStore) { self.store = store }

    /// The current week against the four weeks before it, unless asked otherwise.
    public static func defaultWindows(now: Date = Date()) -> (reference: DateInterval, current: DateInterval) {
        let current = DateInterval(start: now.addingTimeInterval(-7 * 86400), end: now)
        return (DateInterval(start: current.start.addingTimeInterval(-28 * 86400), end: current.start), current)
    }

    /// A window written `FROM..TO`, two days (UTC) both included, e.g. `2026-11-01..2026-11-30`.
    public static func window(_ text: String) throws -> DateInterval {
        let parts = text.components(separatedBy: "..")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        guard parts.count == 2, let from = formatter.date(from: parts[0]), let to = formatter.date(from: parts[1]), from <= to else {
            throw Refusal(.invalid, "refusal_window", .text(text))
        }
        return DateInterval(start: from, end: to.addingTimeInterval(86400))
    }

    public static func label(_ window: DateInterval) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return "\(formatter.string(from: window.start))..\(formatter.string(from: window.end.addingTimeInterval(-1)))"
    }

    /// Drift of one school's lessons (nil: all schools').
    public func report(schoolID: String?, reference: DateInterval, current: DateInterval) async throws -> DriftReport {
        DriftReport(reference: try await store.features(schoolID: schoolID, analysedIn: reference),
                    current: try await store.features(schoolID: schoolID, analysedIn: current),
                    referenceLabel: Self.label(reference), currentLabel: Self.label(current))
    }
}

/// Publishes the installation's drift (this week against the four before) as Prometheus
/// gauges, recomputed every so often: `edcontrol_feature_psi{feature}` and
/// `edcontrol_drift_alerts` (features past the threshold).
public struct DriftGauges: Service {
    let monitor: DriftMonitor
    let everySeconds: Double
    let logger: Logger

    public init(store: MonitoringStore, everySeconds: Double = 3600, logger: Logger) {
        monitor = DriftMonitor(store: store)
        self.everySeconds = everySeconds
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let windows = DriftMonitor.defaultWindows()
                let report = try await monitor.report(schoolID: nil, reference: windows.reference, current: windows.current)
                for feature in report.features {
                    // A feature with too few lessons to judge reads -1, so a dashboard does not take it for "stable".
                    Gauge(label: "edcontrol_feature_psi", dimensions: [("feature", feature.name)]).record(feature.psi ?? -1)
                }
                Gauge(label: "edcontrol_drift_alerts").record(report.alerts.count)
            } catch {
                logger.error("drift check failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(everySeconds)) }
        }
    }
}
