import EdControlEngine
import Foundation

// Paired comparisons of two configurations scored on the same items: the paired t-test and
// the Wilcoxon signed-rank test, each reproducing scipy 1.17.1 with its default arguments, and a
// summary (mean change, its 95% confidence interval, effect size) that carries both.

/// The paired (dependent-samples) t-test of mean difference 0, two-sided:
/// scipy.stats.ttest_rel(challenger, champion) given d = challenger − champion.
public struct PairedTTest: Codable, Sendable, Equatable {
    /// t = mean(d) / (sd(d)/√n), with the sample standard deviation (n − 1).
    public var statistic: Double
    public var pValue: Double
    public var degreesOfFreedom: Int

    public init(statistic: Double, pValue: Double, degreesOfFreedom: Int) {
        self.statistic = statistic
        self.pValue = pValue
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// nil with fewer than two differences, any non-finite one, or when all are equal
    /// (the standard deviation is 0 and t is undefined: scipy returns NaN).
    public static func compute(differences d: [Double]) -> PairedTTest? {
        guard d.count >= 2, d.allSatisfy(\.isFinite), d.contains(where: { $0 != d[0] }) else { return nil }
        // The same operations, in the same order, as scipy's ttest_1samp(d, 0) with NumPy's
        // pairwise sums, so t agrees to the last bit or two.
        let n = Double(d.count)
        let mean = PairwiseSum.mean(d)
        let variance = PairwiseSum.sampleVariance(d, around: mean)
        let standardError = (variance / n).squareRoot()
        let t = mean / standardError
        guard t.isFinite else { return nil }  // squared deviations underflowed to 0
        let df = d.count - 1
        return PairedTTest(statistic: t, pValue: 2 * StudentT.survival(abs(t), degreesOfFreedom: Double(df)), degreesOfFreedom: df)
    }
}

/// The Wilcoxon signed-rank test of symmetry about 0, two-sided: scipy.stats.wilcoxon(d) with
/// all of scipy 1.17.1's defaults (zero_method="wilcox": zeros are dropped from the ranking;
/// correction=False; method="auto").
///
/// "auto" chooses, with n the number of differences *including* zeros (as scipy counts it):
/// - n > 50: the normal approximation, with the tie correction of the variance;
/// - n ≤ 50, no ties and no zeros: the exact null distribution of the signed-rank sum;
/// - n ≤ 13 with ties or zeros: the exact permutation test over all 2ⁿ sign flips (scipy's
///   permutation_test with 9999 resamples ≥ 2ⁿ enumerates them all);
/// - 14 ≤ n ≤ 50 with ties or zeros: the normal approximation.
public struct WilcoxonSignedRank: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable {
        case exact, permutation
        case normalApproximation = "normal-approximation"
    }

    /// min(R⁺, R⁻): the smaller of the rank sums of the positive and of the negative differences.
    public var statistic: Double
    public var pValue: Double
    public var method: Method
    public var nonZeroDifferences: Int
    /// −|z| under the normal approximation (scipy's `zstatistic` with method="asymptotic"); nil otherwise.
    public var zStatistic: Double?

    public init(statistic: Double, pValue: Double, method: Method, nonZeroDifferences: Int, zStatistic: Double? = nil) {
        self.statistic = statistic
        self.pValue = pValue
        self.method = method
        self.nonZeroDifferences = nonZeroDifferences
        self.zStatistic = zStatistic
    }

    /// nil when there are no differences, any is non-finite, or every one is zero (scipy: NaN).
    public static func compute(differences d: [Double]) -> WilcoxonSignedRank? {
        guard !d.isEmpty, d.allSatisfy(\.isFinite) else { return nil }
        let nonZero = d.filter { $0 != 0 }
        guard !nonZero.isEmpty else { return nil }
        let n = d.count, count = nonZero.count, zeros = n - count

        // Average ranks of |d| among the non-zero differences, doubled so that they are whole
        // numbers (a tie between ranks r and r+1 ranks both r + ½).
        let order = nonZero.indices.sorted { abs(nonZero[$0]) < abs(nonZero[$1]) }
        var doubledRank = [Int](repeating: 0, count: count)
        var tieSizes: [Int] = []
        var start = 0
        while start < count {
            var end = start + 1
            while end < count, abs(nonZero[order[end]]) == abs(nonZero[order[start]]) { end += 1 }
            let size = end - start
            for position in start..<end { doubledRank[order[position]] = 2 * start + size + 1 }
            tieSizes.append(size)
            start = end
        }
        let doubledPlus = nonZero.indices.filter { nonZero[$0] > 0 }.reduce(0) { $0 + doubledRank[$1] }
        let doubledTotal = count * (count + 1)  // 2 · (1 + … + count)
        let rPlus = Double(doubledPlus) / 2, rMinus = Double(doubledTotal - doubledPlus) / 2
        let statistic = min(rPlus, rMinus)
        let hasTies = tieSizes.contains { $0 > 1 }

        if n > 50 || ((hasTies || zeros > 0) && n > 13) {
            // Normal approximation: R⁺ has mean c(c+1)/4 and variance [c(c+1)(2c+1) − Σ(t³ − t)/2]/24
            // over the c non-zero differences and tie groups of sizes t. Same arithmetic as scipy.
            let c = Double(count)
            let mean = c * (c + 1) * 0.25
            let tieCorrection = tieSizes.reduce(0.0) { $0 + (Double($1) * Double($1) * Double($1) - Double($1)) }
            let se = ((c * (c + 1) * (2 * c + 1) - tieCorrection / 2) / 24).squareRoot()
            let z = (rPlus - mean) / se
            return WilcoxonSignedRank(statistic: statistic, pValue: 2 * StandardNormal.cdf(-abs(z)), method: .normalApproximation,
                                      nonZeroDifferences: count, zStatistic: -abs(z))
        }

        if !hasTies && zeros == 0 {
            // Exact: under H0 each rank 1…n is positive with probability ½ independently, so
            // R⁺ is a sum over a random subset of {1…n}; count subsets per sum (≤ 2⁵⁰, exact in UInt64).
            let ways = subsetSumCounts(of: Array(1...n))
            let total = Double(sign: .plus, exponent: n, significand: 1)  // 2ⁿ
            let r = Int(rPlus)  // a whole number here: no ties
            let midpoint = Double(n * (n + 1)) / 4
            // scipy sums the smaller tail of the pmf and takes 1 − that for the other side; the
            // counts are exact, so only the final division and subtraction round, as there.
            func cdf(_ k: Int) -> Double {
                Double(k) <= midpoint ? Double(ways[0...k].reduce(0, +)) / total
                                      : 1 - Double(ways[(k + 1)...].reduce(0, +)) / total
            }
            func sf(_ k: Int) -> Double {
                Double(k) <= midpoint ? Double(ways[k...].reduce(0, +)) / total
                                      : 1 - Double(ways[0..<k].reduce(0, +)) / total
            }
            let p = min(1, 2 * min(sf(r), cdf(r)))
            return WilcoxonSignedRank(statistic: statistic, pValue: p, method: .exact, nonZeroDifferences: count)
        }

        // Exact permutation test over all sign flips of d, with R⁺ as the statistic. Zeros stay
        // zero when flipped (each only doubles every count, which cancels in the proportions),
        // and R⁺ of a flipped sample is a subset sum of the same (doubled) ranks. scipy compares
        // with a relative tolerance of 100·ε·R⁺, far below the ½ between distinct values, so
        // comparing whole doubled sums is the same test.
        let ways = subsetSumCounts(of: doubledRank)
        let total = Double(sign: .plus, exponent: count, significand: 1)
        let atMost = Double(ways[0...doubledPlus].reduce(0, +)) / total
        let atLeast = Double(ways[doubledPlus...].reduce(0, +)) / total
        let p = min(1, 2 * min(atMost, atLeast))
        return WilcoxonSignedRank(statistic: statistic, pValue: p, method: .permutation, nonZeroDifferences: count)
    }

    /// ways[s] = the number of subsets of `values` (positive integers) summing to s.
    private static func subsetSumCounts(of values: [Int]) -> [UInt64] {
        var ways = [UInt64](repeating: 0, count: values.reduce(0, +) + 1)
        ways[0] = 1
        var reach = 0
        for value in values {
            reach += value
            for s in stride(from: reach, through: value, by: -1) { ways[s] += ways[s - value] }
        }
        return ways
    }
}

/// Challenger minus champion on the same items (paired by index), summarised for a decision:
/// the mean change with its t-based 95% confidence interval, the effect size, and both tests.
public struct PairedComparison: Codable, Sendable, Equatable {
    public struct Interval: Codable, Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public init(lower: Double, upper: Double) {
            self.lower = lower
            self.upper = upper
        }
    }

    public var items: Int
    /// mean(challenger − champion); 0 when there are no items (so that the value always encodes).
    public var meanDifference: Double
    /// Sample standard deviation (n − 1) of the differences; nil with fewer than two items.
    public var standardDeviationOfDifferences: Double?
    /// mean ± t₀.₉₇₅,ₙ₋₁ · sd/√n (scipy.stats.t.interval(0.95, n − 1, mean, sem)); nil with fewer
    /// than two items or when the differences are all equal (scipy: NaN).
    public var confidenceInterval95: Interval?
    /// Cohen's d_z = mean / sd of the differences; nil when sd is 0 or undefined.
    public var effectSize: Double?
    public var pairedTTest: PairedTTest?
    public var wilcoxon: WilcoxonSignedRank?

    /// `champion` and `challenger` must have the same count (item i of one pairs with item i of the other).
    public init(champion: [Double], challenger: [Double]) {
        precondition(champion.count == challenger.count, "paired samples must have the same number of items")
        let d = zip(challenger, champion).map { $0 - $1 }
        items = d.count
        meanDifference = d.isEmpty ? 0 : PairwiseSum.mean(d)
        pairedTTest = PairedTTest.compute(differences: d)
        wilcoxon = WilcoxonSignedRank.compute(differences: d)
        standardDeviationOfDifferences = nil
        confidenceInterval95 = nil
        effectSize = nil
        guard d.count >= 2, d.allSatisfy(\.isFinite) else { return }
        // Identical differences have sd 0 exactly (the rounded mean could leave a spurious 1e-17).
        guard d.contains(where: { $0 != d[0] }) else {
            standardDeviationOfDifferences = 0
            return
        }
        let sd = PairwiseSum.sampleVariance(d, around: meanDifference).squareRoot()
        standardDeviationOfDifferences = sd
        guard sd > 0 else { return }
        effectSize = meanDifference / sd
        let halfWidth = StudentT.quantile(0.975, degreesOfFreedom: Double(d.count - 1)) * (sd / Double(d.count).squareRoot())
        confidenceInterval95 = Interval(lower: meanDifference - halfWidth, upper: meanDifference + halfWidth)
    }
}
