import EdControlEngine
import Foundation

/// The incidents as CSV (RFC 4180), for spreadsheets: one row per incident.
public enum IncidentsCSV {
    public static let header = ["start_seconds", "end_seconds", "person", "role", "modality", "peak_intensity", "mean_intensity", "evidence"]

    public static func render(_ incidents: [Incident]) -> String {
        CSV.document(header: header, rows: incidents.map { incident in
            [String(format: "%.2f", incident.start), String(format: "%.2f", incident.end), incident.person,
             incident.role.rawValue, incident.modality.rawValue, String(format: "%.3f", incident.peakIntensity),
             String(format: "%.3f", incident.meanIntensity), incident.evidence.joined(separator: "; ")]
        })
    }
}
