/// Where a redirect inside the dashboard may go.
package enum LocalPath {
    /// A path on this site to go back to (already percent-decoded); anything that a browser
    /// could read as another site becomes /lessons. Browsers drop tabs and line breaks from
    /// a Location and read a backslash as a slash, so "/<TAB>/evil.example" and "/\\evil.example"
    /// are "//evil.example", another host: only printable ASCII without backslashes or a
    /// double slash passes, and it must start with one slash (so it has no scheme).
    package static func checked(_ path: Substring?) -> String {
        guard let path, path.hasPrefix("/"), !path.contains("//"),
              path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }) else { return "/lessons" }
        return String(path)
    }
}
