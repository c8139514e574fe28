import EdControlEngine
import Foundation

/// Word error rate: the fewest substitutions, deletions and insertions that turn the
/// reference's words into the hypothesis's, over the number of reference words, as NIST's
/// sclite counts it. Hand-written: an edit distance over words, which no Swift package offers.
///
/// Both texts are normalised first (`Transcript.words(in:)`): lower case, punctuation removed, ё read as е.
public struct WordErrorRate: Codable, Sendable, Equatable {
    public var referenceWords: Int
    public var hypothesisWords: Int
    public var substitutions: Int
    public var deletions: Int
    public var insertions: Int

    public init(referenceWords: Int = 0, hypothesisWords: Int = 0, substitutions: Int = 0, deletions: Int = 0, insertions: Int = 0) {
        self.referenceWords = referenceWords
        self.hypothesisWords = hypothesisWords
        self.substitutions = substitutions
        self.deletions = deletions
        self.insertions = insertions
    }

    public var errors: Int { substitutions + deletions + insertions }
    /// Errors per reference word (it can pass 1 when the hypothesis adds words); with no
    /// reference words, 0 for an empty hypothesis and 1 otherwise.
    public var rate: Double {
        referenceWords > 0 ? Double(errors) / Double(referenceWords) : (hypothesisWords > 0 ? 1 : 0)
    }

    public static func compute(reference: String, hypothesis: String) -> WordErrorRate {
        compute(reference: Transcript.words(in: reference), hypothesis: Transcript.words(in: hypothesis))
    }

    /// The alignment with the fewest errors; among equally good ones, substitutions are
    /// preferred to a deletion plus an insertion.
    public static func compute(reference: [String], hypothesis: [String]) -> WordErrorRate {
        let n = reference.count, m = hypothesis.count
        // cost[i][j]: errors turning the first i reference words into the first j hypothesis words.
        var cost = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in 0...n { cost[i][0] = i }
        for j in 0...m { cost[0][j] = j }
        if n > 0 && m > 0 {
            for i in 1...n {
                for j in 1...m {
                    let diagonal = cost[i - 1][j - 1] + (reference[i - 1] == hypothesis[j - 1] ? 0 : 1)
                    cost[i][j] = min(diagonal, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
                }
            }
        }
        var score = WordErrorRate(referenceWords: n, hypothesisWords: m)
        var (i, j) = (n, m)
        while i > 0 || j > 0 {
            if i > 0, j > 0, cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] == hypothesis[j - 1] ? 0 : 1) {
                if reference[i - 1] != hypothesis[j - 1] { score.substitutions += 1 }
                (i, j) = (i - 1, j - 1)
            } else if i > 0, cost[i][j] == cost[i - 1][j] + 1 {
                score.deletions += 1
                i -= 1
            } else {
                score.insertions += 1
                j -= 1
            }
        }
        return score
    }

    /// Counts pooled over several texts: the corpus WER weighs each text by its words.
    public static func + (a: WordErrorRate, b: WordErrorRate) -> WordErrorRate {
        WordErrorRate(referenceWords: a.referenceWords + b.referenceWords, hypothesisWords: a.hypothesisWords + b.hypothesisWords,
                      substitutions: a.substitutions + b.substitutions, deletions: a.deletions + b.deletions,
                      insertions: a.insertions + b.insertions)
    }
}

/// Reference or hypothesis texts as `eval wer` reads them: a plain text file (one item, named
/// after the file), an STM file (NIST segment time marks: `file channel speaker start end
/// [<labels>] text` per line, `;;` comments; one item per file id, its segments in time
/// order; segments marked `ignore_time_segment_in_scoring` are left out), or a folder of
/// either (items by file name).
public enum TranscriptTexts {
    public static func read(_ url: URL) throws -> [String: String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw EvaluationInputError("\(url.path) does not exist")
        }
        guard isDirectory.boolValue else { return try readFile(url) }
        var texts: [String: String] = [:]
        let files = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .filter { ["txt", "stm"].contains($0.pathExtension.lowercased()) }
        for file in files {
            for (id, text) in try readFile(file) { texts[id] = (texts[id].map { $0 + " " } ?? "") + text }
        }
        guard !texts.isEmpty else { throw EvaluationInputError("\(url.path) holds no .txt or .stm file") }
        return texts
    }

    static func readFile(_ url: URL) throws -> [String: String] {
        guard let content = try? String(contentsOf: url, encoding: .utf8) else {
            throw EvaluationInputError("\(url.path) cannot be read as UTF-8 text")
        }
        let name = url.deletingPathExtension().lastPathComponent
        guard url.pathExtension.lowercased() == "stm" else { return [name: content] }
        var segments: [String: [(start: Double, text: String)]] = [:]
        for (number, line) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix(";;") { continue }
            let fields = trimmed.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 5, let start = Double(fields[3]), Double(fields[4]) != nil else {
                throw EvaluationInputError("\(url.lastPathComponent) line \(number + 1) is not an STM segment (file channel speaker start end [<labels>] text): \(trimmed.prefix(80))")
            }
            var text = fields.count > 5 ? fields[5] : ""
            if text.hasPrefix("<"), let close = text.firstIndex(of: ">") { text = String(text[text.index(after: close)...]) }
            if fields[2] == "inter_segment_gap" || text.contains("ignore_time_segment_in_scoring") { continue }
            segments[fields[0], default: []].append((start, text))
        }
        return segments.mapValues { $0.sorted { $0.start < $1.start }.map(\.text).joined(separator: " ") }
    }
}

public struct EvaluationInputError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
