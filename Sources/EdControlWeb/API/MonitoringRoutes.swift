import EdControlEngine
import EdControlLab
import EdControlService
import Foundation
import Hummingbird

/// `/api/v1/monitoring/drift` (admins): how the school's recent lessons differ from a
/// reference period, feature by feature.
struct MonitoringRoutes {
    let monitor: DriftMonitor

    func add(to api: RouterGroup<APIContext>) {
        api.get("monitoring/drift") { request, context -> DriftReport in
            let caller = try context.require(.admin)
            let windows = try Self.windows(request)
            return try await monitor.report(schoolID: caller.schoolID, reference: windows.reference, current: windows.current)
        }
    }

    /// `?reference=FROM..TO&current=FROM..TO`, each defaulting to the four weeks before the
    /// current week and the current week.
    static func windows(_ request: Request) throws -> (reference: DateInterval, current: DateInterval) {
        let defaults = DriftMonitor.defaultWindows()
        return (try request.uri.queryParameters["reference"].map { try DriftMonitor.window(String($0)) } ?? defaults.reference,
                try request.uri.queryParameters["current"].map { try DriftMonitor.window(String($0)) } ?? defaults.current)
    }
}

extension DriftReport: ResponseEncodable {}
