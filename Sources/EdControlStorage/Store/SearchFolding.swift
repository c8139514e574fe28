import Foundation

extension String {
    /// The text as searches compare it, in every store: lower case in any alphabet (SQLite's
    /// own lower() knows only ASCII), without diacritics, ё as е.
    public var searchFolded: String {
        folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
            .replacingOccurrences(of: "ё", with: "е").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
