import EdControlEngine
import EdControlReports
import EdControlStorage
import Foundation

/// The dashboard's languages. Schools this is for work in Russian; English is the default
/// for everyone else.
package enum Language: String, CaseIterable, Sendable {
    case en, ru

    package var other: Language { self == .en ? .ru : .en }
    package var locale: Locale { Locale(identifier: self == .en ? "en_GB" : "ru_RU") }

    /// The plural category of a whole number, by CLDR's rules for the language (what ICU's
    /// plural format picks): English one/other; Russian one (1, 21, 101…), few (2–4, 22–24…),
    /// many (0, 5–20, 25–30…). Foundation applies plural rules only to localized string
    /// catalogs in bundles; the dashboard's texts are JSON tables, so the rules are here.
    func pluralForm(_ count: Int) -> String {
        let n = abs(count)
        switch self {
        case .en:
            return n == 1 ? "one" : "other"
        case .ru:
            if n % 10 == 1 && n % 100 != 11 { return "one" }
            if (2...4).contains(n % 10) && !(12...14).contains(n % 100) { return "few" }
            return "many"
        }
    }

    /// The forms a counted text needs in this language.
    var pluralForms: [String] { self == .en ? ["one", "other"] : ["one", "few", "many"] }
}

/// The interface text of one language: Text/<language>.json, a flat table of keys; and
/// Text/model-cards.<language>.json, the model cards' English texts with their translations.
package struct InterfaceText: Sendable {
    package let language: Language
    package let table: [String: String]
    /// The texts that name commands between backticks, as HTML with the commands in `<code>`
    /// (templates show them with `tc.` in triple braces).
    package let withCode: [String: String]
    private let modelCards: [String: String]

    /// The English texts, as the service's refusals are logged and sent to callers that ask
    /// for no language.
    package static let english: InterfaceText = {
        let table = (try? catalogue("en")) ?? [:]
        return InterfaceText(language: .en, table: table)
    }()

    /// The text of `language` as the module's catalogues have it (English: `english`).
    package static func load(_ language: Language) throws -> InterfaceText {
        language == .en ? english
            : InterfaceText(language: language, table: try catalogue(language.rawValue),
                            modelCards: try catalogue("model-cards.\(language.rawValue)"))
    }

    /// One table of Text/Catalogues; an empty one where the file is absent.
    private static func catalogue(_ name: String) throws -> [String: String] {
        guard let file = Bundle.module.resourceURL?.appendingPathComponent("Catalogues/\(name).json"),
              FileManager.default.fileExists(atPath: file.path) else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: Data(contentsOf: file))
    }

    init(language: Language, table: [String: String], modelCards: [String: String] = [:]) {
        self.language = language
        self.table = table
        self.modelCards = modelCards
        withCode = table.filter { $0.value.contains("`") }.mapValues(Self.html)
    }

    /// A model card's English text in this language, as HTML (commands in `<code>`); the
    /// English where no translation is written (a test checks that every one is).
    package func modelCard(_ english: String) -> String { Self.html(modelCards[english] ?? english) }

    /// `text` escaped for HTML, its `backticked` parts as code.
    static func html(_ text: String) -> String {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().map { index, part in
            index % 2 == 1 ? "<code>\(ReportCharts.escape(String(part)))</code>" : ReportCharts.escape(String(part))
        }.joined()
    }

    package subscript(_ key: String) -> String { table[key] ?? key }

    /// A transcription choice in words: "detect the language", "no transcript", or a
    /// language's name in this language ("hu": "венгерский"), else its code.
    package func transcriptionName(_ choice: String) -> String {
        table["transcription_\(choice)"] ?? language.locale.localizedString(forLanguageCode: choice) ?? choice
    }

    /// `key`'s text with `%@`/`%d`-style placeholders filled in.
    package func format(_ key: String, _ arguments: any CVarArg...) -> String {
        String(format: self[key], locale: language.locale, arguments: arguments)
    }

    /// A counted text: `key.one`, `key.few`, … chosen by `count`'s plural form, with `count`
    /// as its first `%d` and `arguments` after it.
    package func count(_ key: String, _ count: Int, _ arguments: any CVarArg...) -> String {
        let text = table["\(key).\(language.pluralForm(count))"] ?? key
        return String(format: text, locale: language.locale, arguments: [count] + arguments)
    }

    /// "A, B or C" in this language.
    package func orList(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.first ?? "" }
        return format("list_or", items.dropLast().joined(separator: ", "), last)
    }

    package func number(_ value: Double, decimals: Int = 0) -> String {
        value.formatted(.number.precision(.fractionLength(decimals)).locale(language.locale))
    }

    package func percent(_ fraction: Double) -> String { number(fraction * 100) + " %" }

    package func date(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .abbreviated, time: .shortened).locale(language.locale))
    }

    /// When a lesson took place: its recording time, or only its day when only the day was
    /// given (no made-up "at 0:00"), or else when it was uploaded.
    package func lessonDate(_ lesson: Lesson) -> String {
        guard let recorded = lesson.recordedAt else { return date(lesson.uploadedAt) }
        guard lesson.recordedAtHasTime else {
            // A day is stored as its midnight in UTC; shown in UTC it stays that day.
            var style = Date.FormatStyle(date: .abbreviated, time: .omitted).locale(language.locale)
            style.timeZone = TimeZone(identifier: "UTC")!
            return recorded.formatted(style)
        }
        return date(recorded)
    }

    /// Day and month, for chart axes.
    package func shortDay(_ date: Date) -> String {
        date.formatted(Date.FormatStyle().day().month(.abbreviated).locale(language.locale))
    }

    /// Role, emotion and modality names for the report charts.
    package var chartWords: ChartWords {
        ChartWords(
            emotions: Dictionary(uniqueKeysWithValues: Emotion.allCases.map { ($0, self["emotion_\($0.rawValue)"]) }),
            roles: [.teacher: self["role_teacher"], .student: self["role_student"], .unknown: self["role_unknown"]],
            modalities: [.voice: self["modality_voice"], .face: self["modality_face"], .words: self["modality_words"], .both: self["modality_both"]],
            incidents: self["chart_incidents"], face: self["chart_face"], talkBarLabel: self["chart_talk_bar"],
            timelineDescription: self["chart_timeline_description"], talkDescription: self["chart_talk_description"],
            emotionDescription: self["chart_emotion_description"], usualExpression: self["chart_usual_expression"], intensity: self["chart_intensity"],
            number: { [self] in number($0, decimals: $1) }, faceCount: { [self] in count("chart_faces", $0) })
    }
}
