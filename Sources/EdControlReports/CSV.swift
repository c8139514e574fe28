import EdControlEngine
import Foundation

/// RFC 4180 CSV, as spreadsheets open it. Hand-written: Foundation has no CSV writer, and
/// these are a dozen lines.
public enum CSV {
    /// A field: quoted when it holds a comma, quote or line break (quotes doubled). Text
    /// that a spreadsheet would run as a formula (=, +, -, @, tab or carriage return first)
    /// gets a leading apostrophe, so a lesson titled "=HYPERLINK(…)" stays text (CSV injection).
    public static func field(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Lines of fields (already formatted), CRLF-terminated.
    public static func document(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }
}
