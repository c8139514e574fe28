import EdControlService
import Hummingbird

extension Language {
    static let cookieName = "edcontrol_lang"

    /// The language the visitor chose (cookie), else the first of their browser's
    /// languages that the dashboard speaks, else English.
    static func of(_ request: Request) -> Language {
        if let chosen = request.cookies[cookieName].flatMap({ Language(rawValue: $0.value) }) { return chosen }
        let accepted = (request.headers[.acceptLanguage] ?? "").split(separator: ",")
            .map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).prefix(2).lowercased() }
        return accepted.lazy.compactMap { Language(rawValue: $0) }.first ?? .en
    }
}
