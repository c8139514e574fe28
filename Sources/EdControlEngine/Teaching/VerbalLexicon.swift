import Foundation

/// The words that make a verbal incident: profanity, insults, and sharp language toward
/// students, in Russian and English, with their word forms. A versioned document like the
/// incident rules: its version and hash go into every report that used it, and
/// `edcontrol verbal-lexicon` prints it (docs/teaching-measures.md explains the choices).
///
/// A term is one or more words in the form `Transcript.words(in:)` gives (lower case, ё as
/// е, no punctuation); a word ending in `*` matches every word that begins with it, which
/// covers Russian inflection (идиот* finds идиота, идиотом, идиоты).
public struct VerbalLexicon: Codable, Sendable, Hashable, JSONDocument {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case profanity, insult, sharp
    }

    public struct Entry: Codable, Sendable, Hashable {
        public var language: String
        public var kind: Kind
        public var terms: [String]
    }

    public static let builtInVersion = "2026-12-01.1"

    public var version = VerbalLexicon.builtInVersion
    /// The incident's intensity (0…1) for each kind of language, by the kind's name (a
    /// dictionary keyed by strings encodes as a JSON object, whose sorted keys keep the hash stable).
    public var intensity: [String: Double] = [Kind.profanity.rawValue: 0.75, Kind.insult.rawValue: 0.8, Kind.sharp.rawValue: 0.5]
    public var entries: [Entry] = VerbalLexicon.builtInEntries

    public init() {}

    /// Where each term of `language` occurs in `words` (already normalised): the range of
    /// words it covers and what it is. Terms of other languages are not looked for, so an
    /// English word inside a Russian lesson's transcript is not matched by the Russian list.
    func matches(in words: [String], language: String) -> [(range: Range<Int>, kind: Kind, term: String)] {
        var found: [(range: Range<Int>, kind: Kind, term: String)] = []
        for entry in entries where entry.language == language {
            for term in entry.terms {
                let pattern = term.split(separator: " ").map(String.init)
                guard !pattern.isEmpty, words.count >= pattern.count else { continue }
                for start in 0...(words.count - pattern.count)
                where zip(pattern, words[start...]).allSatisfy({ Self.word($1, matches: $0) }) {
                    found.append((start..<start + pattern.count, entry.kind, term))
                }
            }
        }
        return found.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    static func word(_ word: String, matches pattern: String) -> Bool {
        pattern.hasSuffix("*") ? word.hasPrefix(pattern.dropLast()) : word == pattern
    }

    /// Stems are chosen so that no common innocent word begins with them (сучок, a twig, is
    /// why сука is listed by its forms; дурак but not дур*, which begins дурной and дурачиться).
    static let builtInEntries: [Entry] = [
        Entry(language: "ru", kind: .profanity, terms: [
            "бля", "блять", "бляд*", "хуй*", "хуе*", "хуя*", "нахуй*", "пизд*", "распизд*", "еб*", "заеб*", "выеб*", "уеб*", "наеб*",
            "отъеб*", "долбоеб*", "охуе*", "сука", "суки", "суку", "сукой", "мудак*", "мудил*", "говн*", "дерьм*"]),
        Entry(language: "ru", kind: .insult, terms: [
            "дурак", "дурака", "дураку", "дураком", "дураки", "дураков", "дура", "дуры", "идиот*", "тупиц*", "тупой", "тупая", "тупое",
            "тупые", "тупого", "тупым", "тупых", "кретин*", "дебил*", "придур*", "бестолоч*", "бездарь", "бездари", "бездарн*",
            "олух*", "болван*", "ничтожеств*"]),
        Entry(language: "ru", kind: .sharp, terms: [
            "заткнись", "заткнитесь", "замолчи", "замолчите", "закрой рот", "закройте рот", "вон из класса", "пошел вон", "пошла вон",
            "сколько можно", "ты что глухой", "ты что глухая", "ты что тупой", "совсем с ума сошел", "руки из жопы"]),
        Entry(language: "en", kind: .profanity, terms: [
            "fuck*", "motherfuck*", "shit", "shits", "shitty", "bullshit", "bitch*", "bastard*", "asshole*", "dickhead*", "crap", "crappy"]),
        Entry(language: "en", kind: .insult, terms: [
            "idiot*", "stupid", "dumb", "dumbass", "moron*", "imbecile*", "retard", "retarded", "useless", "pathetic", "loser", "losers",
            "dummy", "brainless", "worthless"]),
        Entry(language: "en", kind: .sharp, terms: [
            "shut up", "shut your mouth", "get out of my class", "how many times do i have to", "what is wrong with you",
            "what's wrong with you", "are you deaf", "are you stupid"]),
    ]
}
