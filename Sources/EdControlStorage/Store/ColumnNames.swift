// Rows of every SQL backend map to the records by these names.

/// Swift property names ↔ SQL column names. GRDB's built-in snake case turns `schoolID`
/// into `school_i_d`; here a run of capitals is one word, and `id` comes back as `ID`.
package enum ColumnNames {
    package static func column(_ property: String) -> String {
        var words: [String] = []
        var current = ""
        for character in property {
            if character.isUppercase, !(current.last?.isUppercase ?? true) {
                words.append(current)
                current = ""
            }
            current.append(character)
        }
        words.append(current)
        return words.map { $0.lowercased() }.joined(separator: "_")
    }

    package static func property(_ column: String) -> String {
        let words = column.split(separator: "_").map(String.init)
        return (words.first ?? "") + words.dropFirst().map { acronyms[$0] ?? $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Words written in capitals in property names (`deploymentIDs` is `deployment_ids`).
    private static let acronyms = ["id": "ID", "ids": "IDs", "url": "URL", "uri": "URI", "pem": "PEM"]
}

package struct AnyCodingKey: CodingKey {
    package var stringValue: String
    package var intValue: Int? { nil }
    package init(_ string: String) { stringValue = string }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}
