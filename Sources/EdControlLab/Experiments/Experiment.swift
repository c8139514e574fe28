import EdControlEngine
import Foundation

/// An offline comparison of a challenger configuration with the champion on the same items
/// of a labelled corpus: the per-item numbers, the paired statistics, and the verdict of a
/// rule fixed before the run.
public struct Experiment: Codable, Sendable {
    /// One side of the comparison: a registered version (by name) or a file.
    public struct Side: Codable, Sendable, Equatable {
        public var name: String
        /// sha256 of the whole configuration document.
        public var sha256: String
        public init(name: String, sha256: String) {
            self.name = name
            self.sha256 = sha256
        }
    }

    public struct Item: Codable, Sendable, Equatable {
        public var id: String
        public var champion: Double
        public var challenger: Double
        public init(id: String, champion: Double, challenger: Double) {
            self.id = id
            self.champion = champion
            self.challenger = challenger
        }
    }

    public struct Corpus: Codable, Sendable, Equatable {
        public var path: String
        public var manifest: String?
        public var manifestSHA256: String
        public init(path: String, manifest: String?, manifestSHA256: String) {
            self.path = path
            self.manifest = manifest
            self.manifestSHA256 = manifestSHA256
        }
    }

    /// The decision rule, stated before the run: the challenger is better when the mean
    /// change is an improvement, both tests give p < `alpha`, there are at least
    /// `minimumItems` items, and no item is worse by more than `maximumItemRegression`
    /// (in the metric's own units: 0.05 is 5 DER points).
    public struct Rule: Codable, Sendable, Equatable {
        public var alpha = 0.05
        public var minimumItems = 6
        public var maximumItemRegression = 0.05
        public init() {}

        public var words: String {
            String(format: "challenger better if it improves the mean, p < %g in both the paired t-test and the Wilcoxon signed-rank test, at least %d items, and no item worse by more than %g",
                   alpha, minimumItems, maximumItemRegression)
        }
    }

    public enum Verdict: String, Codable, Sendable {
        case challengerBetter = "challenger-better"
        case challengerWorse = "challenger-worse"
        case noSignificantDifference = "no-significant-difference"
        /// Too few items, or nothing differs: the data cannot decide.
        case inconclusive
    }

    public var id: String
    public var createdAt: Date
    public var createdBy: String
    public var metric: ExperimentMetric
    public var higherIsBetter: Bool
    public var corpus: Corpus
    public var champion: Side
    public var challenger: Side
    public var items: [Item]
    /// Challenger minus champion, per item, summarised.
    public var comparison: PairedComparison
    public var pairedTTest: PairedTTest?
    public var wilcoxon: WilcoxonSignedRank?
    public var rule: Rule
    public var verdict: Verdict
    /// Why, in words (which condition of the rule decided).
    public var reason: String
    public var seconds: Double

    public init(id: String = UUID().uuidString.lowercased(), createdAt: Date = Date(), createdBy: String, metric: ExperimentMetric,
                corpus: Corpus, champion: Side, challenger: Side, items: [Item], rule: Rule = Rule(), seconds: Double) {
        self.id = id
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.metric = metric
        higherIsBetter = metric.higherIsBetter
        self.corpus = corpus
        self.champion = champion
        self.challenger = challenger
        self.items = items
        comparison = PairedComparison(champion: items.map(\.champion), challenger: items.map(\.challenger))
        pairedTTest = comparison.pairedTTest
        wilcoxon = comparison.wilcoxon
        self.rule = rule
        self.seconds = seconds
        (verdict, reason) = Self.decide(items: items, comparison: comparison, higherIsBetter: metric.higherIsBetter, rule: rule)
    }

    static func decide(items: [Item], comparison: PairedComparison, higherIsBetter: Bool, rule: Rule) -> (Verdict, String) {
        // Improvement per item: positive when the challenger is better, whatever the metric's direction.
        let improvements = items.map { higherIsBetter ? $0.challenger - $0.champion : $0.champion - $0.challenger }
        guard items.count >= rule.minimumItems else {
            return (.inconclusive, "only \(items.count) items; the rule needs at least \(rule.minimumItems)")
        }
        guard let t = comparison.pairedTTest, let w = comparison.wilcoxon else {
            return (.inconclusive, improvements.allSatisfy { $0 == 0 }
                    ? "the two configurations score every item the same"
                    : "every item changed by the same amount, so the t-test is undefined")
        }
        let meanImprovement = improvements.reduce(0, +) / Double(improvements.count)
        let significant = t.pValue < rule.alpha && w.pValue < rule.alpha
        let tests = String(format: "paired t-test p = %.4g, Wilcoxon p = %.4g", t.pValue, w.pValue)
        guard significant else { return (.noSignificantDifference, "\(tests): not both below \(rule.alpha)") }
        guard meanImprovement > 0 else { return (.challengerWorse, "\(tests), and the challenger is worse on average") }
        let worst = zip(items, improvements).min { $0.1 < $1.1 }!
        if -worst.1 > rule.maximumItemRegression {
            return (.noSignificantDifference, String(format: "%@ and better on average, but %@ is worse by %.4g (the rule allows %.4g)",
                                                      tests, worst.0.id, -worst.1, rule.maximumItemRegression))
        }
        return (.challengerBetter, "\(tests), better on average, and no item worse by more than \(rule.maximumItemRegression)")
    }
}
