import Foundation

/// The incidents as CSV (RFC 4180), for spreadsheets: one row per incident.
public enum IncidentsCSV {
    public static let header = "start_seconds,end_seconds,person,role,modality,peak_intensity,mean_intensity,evidence"

    public static func render(_ incidents: [Incident]) -> String {
        var lines = [header]
        for incident in incidents {
            lines.append([String(format: "%.2f", incident.start), String(format: "%.2f", incident.end), field(incident.person),
                          incident.role.rawValue, incident.modality.rawValue, String(format: "%.3f", incident.peakIntensity),
                          String(format: "%.3f", incident.meanIntensity), field(incident.evidence.joined(separator: "; "))]
                .joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Quoted when it holds a comma, quote or line break; quotes doubled.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
