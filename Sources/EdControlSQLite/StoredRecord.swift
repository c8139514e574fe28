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
