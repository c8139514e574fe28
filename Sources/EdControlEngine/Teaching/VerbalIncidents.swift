import Foundation

/// Words from the lexicon said in the lesson, with who said them and when.
public struct VerbalMatch: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var speaker: String?
    public var role: SpeakerRole
    public var kind: VerbalLexicon.Kind
    /// The lexicon's intensity for the kind, 0…1.
    public var intensity: Double
    /// The words as the transcript has them.
    public var said: String
}

struct VerbalIncidentFinder {
    let lexicon: VerbalLexicon

    /// Every match in the transcript's segments, in the transcript's language.
    func matches(in transcript: Transcript) -> [VerbalMatch] {
        guard transcript.analysed, let language = transcript.language else { return [] }
        return transcript.segments.flatMap { segment -> [VerbalMatch] in
            // Each normalised word keeps the transcript word it came from, for its time and text.
            let spoken = segment.words ?? [TranscriptWord(start: segment.start, end: segment.end, text: segment.text)]
            var words: [String] = [], source: [Int] = []
            for (index, word) in spoken.enumerated() {
                for normalised in Transcript.words(in: word.text) {
                    words.append(normalised)
                    source.append(index)
                }
            }
            return lexicon.matches(in: words, language: language).map { match in
                let first = spoken[source[match.range.lowerBound]], last = spoken[source[match.range.upperBound - 1]]
                let said = spoken[source[match.range.lowerBound]...source[match.range.upperBound - 1]].map(\.text).joined(separator: " ")
                return VerbalMatch(start: first.start, end: max(last.end, first.start), speaker: segment.speaker, role: segment.role ?? .unknown,
                                   kind: match.kind, intensity: lexicon.intensity[match.kind.rawValue] ?? 0.5, said: said)
            }
        }
    }
}
