import EdControlEngine
/// Single-label classification against labels: confusion matrix, accuracy, per-class
/// precision/recall/F1 and macro-F1. Macro-F1 averages over the classes that occur in the
/// labels or the predictions (scikit-learn's `f1_score(average="macro")`), so a classifier
/// that invents a class it never should is penalised for it.
public struct ClassificationScore: Sendable, Equatable {
    public let classes: [String]
    /// `confusion[truth][predicted]` counts.
    public private(set) var confusion: [[Int]]

    public init(classes: [String]) {
        self.classes = classes
        confusion = Array(repeating: Array(repeating: 0, count: classes.count), count: classes.count)
    }

    public mutating func add(truth: Int, predicted: Int) {
        confusion[truth][predicted] += 1
    }

    public var total: Int { confusion.joined().reduce(0, +) }

    public var accuracy: Double {
        total > 0 ? Double(classes.indices.map { confusion[$0][$0] }.reduce(0, +)) / Double(total) : 0
    }

    public func support(of index: Int) -> Int { confusion[index].reduce(0, +) }
    private func predictions(of index: Int) -> Int { confusion.map { $0[index] }.reduce(0, +) }

    public func precision(of index: Int) -> Double {
        let predicted = predictions(of: index)
        return predicted > 0 ? Double(confusion[index][index]) / Double(predicted) : 0
    }

    public func recall(of index: Int) -> Double {
        let support = support(of: index)
        return support > 0 ? Double(confusion[index][index]) / Double(support) : 0
    }

    public func f1(of index: Int) -> Double {
        let p = precision(of: index), r = recall(of: index)
        return p + r > 0 ? 2 * p * r / (p + r) : 0
    }

    /// Classes that occur in the labels or the predictions.
    public var scoredClasses: [Int] { classes.indices.filter { support(of: $0) > 0 || predictions(of: $0) > 0 } }

    public var macroF1: Double {
        let scored = scoredClasses
        return scored.isEmpty ? 0 : scored.map(f1(of:)).reduce(0, +) / Double(scored.count)
    }

    /// The score of always answering the most frequent label: the baseline any classifier
    /// must beat to be worth running.
    public var mostFrequentClassBaseline: ClassificationScore {
        var baseline = ClassificationScore(classes: classes)
        guard let majority = classes.indices.max(by: { support(of: $0) < support(of: $1) }) else { return baseline }
        for truth in classes.indices {
            baseline.confusion[truth][majority] = support(of: truth)
        }
        return baseline
    }
}
