import EdControlStorage
import GRDB

// Rows map to the records by snake_case column names (`school_id` is `schoolID`); times
// are stored as Unix seconds (REAL), which compare and index simply in SQLite and
// PostgreSQL alike.
protocol StoredRecord: Codable, FetchableRecord, PersistableRecord {}

extension StoredRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .custom { column in AnyCodingKey(ColumnNames.property(column)) }
    }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
        .custom { key in ColumnNames.column(key.stringValue) }
    }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
}

/// Swift property names ↔ SQL column names. GRDB's built-in snake case turns `schoolID`
/// into `school_i_d`; here a run of capitals is one word, and `id` comes back as `ID`.
enum ColumnNames {
    static func column(_ property: String) -> String {
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

    static func property(_ column: String) -> String {
        let words = column.split(separator: "_").map(String.init)
        return (words.first ?? "") + words.dropFirst().map { acronyms[$0] ?? $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Words written in capitals in property names (`deploymentIDs` is `deployment_ids`).
    private static let acronyms = ["id": "ID", "ids": "IDs", "url": "URL", "uri": "URI", "pem": "PEM"]
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension School: StoredRecord { public static let databaseTableName = "school" }
extension APIToken: StoredRecord { public static let databaseTableName = "api_token" }
extension User: StoredRecord { public static let databaseTableName = "user" }
extension DashboardSession: StoredRecord { public static let databaseTableName = "dashboard_session" }
extension Teacher: StoredRecord { public static let databaseTableName = "teacher" }
extension Lesson: StoredRecord { public static let databaseTableName = "lesson" }
extension Job: StoredRecord { public static let databaseTableName = "job" }
extension Webhook: StoredRecord { public static let databaseTableName = "webhook" }
extension AuditEvent: StoredRecord { public static let databaseTableName = "audit_event" }
extension IncidentReview: StoredRecord { public static let databaseTableName = "incident_review" }
extension WebhookDelivery: StoredRecord { public static let databaseTableName = "webhook_delivery" }
extension ConfigurationVersion: StoredRecord { public static let databaseTableName = "configuration_version" }
extension ChampionChange: StoredRecord { public static let databaseTableName = "champion_change" }
extension ExperimentRecord: StoredRecord { public static let databaseTableName = "experiment" }
