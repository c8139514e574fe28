@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlLab
import Foundation
import Testing

/// The statistics module must give scipy's numbers (scipy 1.17.1, default arguments). Each test
/// makes its data in Swift from a fixed seed, runs scipy on the same numbers, and compares.
/// Every case is chosen so that a wrong method (e.g. a normal approximation where scipy is
/// exact, a missing tie correction, a one-sided p-value) would miss by far more than the tolerance.
@Suite("Statistics against scipy")
struct StatisticsTests {
    /// Measured differences from scipy are below 1e-12 for everything here; 1e-9 leaves room
    /// for rounding while still catching any mistake of substance.
    private let tolerance = 1e-9

    // MARK: - Paired t-test and confidence interval

    @Test(arguments: [7, 60])
    func pairedTTestMatchesTtestRel(items: Int) throws {
        var random = SplitMix64(seed: UInt64(items))
        let champion = random.normals(items, mean: 0.30, sd: 0.10)
        // A mean change of about one standard error: p is neither tiny nor near 1 at either size.
        let shift = -0.1 / Double(items).squareRoot()
        let challenger = zip(champion, random.normals(items, mean: shift, sd: 0.05)).map { $0 + $1 }
        let comparison = PairedComparison(champion: champion, challenger: challenger)
        let ours = try #require(comparison.pairedTTest)
        let theirs = try scipy("""
            r = stats.ttest_rel(data["challenger"], data["champion"])
            out(r.statistic, r.pvalue, r.df)
            """, ["champion": champion, "challenger": challenger])
        try #require(theirs.count == 3)
        #expect(abs(ours.statistic - theirs[0]) < tolerance, "t: ours \(ours.statistic), scipy \(theirs[0])")
        #expect(abs(ours.pValue - theirs[1]) < tolerance, "p: ours \(ours.pValue), scipy \(theirs[1])")
        #expect(Double(ours.degreesOfFreedom) == theirs[2])
        // The case is informative: neither p ≈ 0 nor p ≈ 1, so a wrong tail would show.
        #expect(theirs[1] > 1e-6 && theirs[1] < 0.9, "p = \(theirs[1])")
    }

    @Test func tDistributionMatchesScipy() throws {
        let freedoms = [1.0, 2.5, 5, 29, 1000]
        let probabilities = [0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.9999]
        let points = [-7.5, -2.1, -0.4, 0.05, 1.3, 2.8, 12]
        var ours: [Double] = []
        for nu in freedoms {
            ours += probabilities.map { StudentT.quantile($0, degreesOfFreedom: nu) }
            ours += points.map { StudentT.cdf($0, degreesOfFreedom: nu) }
            ours += points.map { StudentT.survival($0, degreesOfFreedom: nu) }
        }
        let theirs = try scipy("""
            for nu in data["freedoms"]:
                out(*stats.t.ppf(data["probabilities"], nu))
                out(*stats.t.cdf(data["points"], nu))
                out(*stats.t.sf(data["points"], nu))
            """, ["freedoms": freedoms, "probabilities": probabilities, "points": points])
        try #require(theirs.count == ours.count)
        for (index, (mine, reference)) in zip(ours, theirs).enumerated() {
            #expect(abs(mine - reference) < tolerance * max(1, abs(reference)), "value \(index): ours \(mine), scipy \(reference)")
        }
        #expect(StudentT.quantile(0, degreesOfFreedom: 3) == -.infinity)
        #expect(StudentT.quantile(1, degreesOfFreedom: 3) == .infinity)
        #expect(abs(StandardNormal.cdf(-1.959963984540054) - 0.025) < 1e-15)
    }

    @Test func confidenceIntervalAndEffectSizeMatchScipy() throws {
        var random = SplitMix64(seed: 12)
        let champion = random.normals(12, mean: 0.25, sd: 0.08)
        let challenger = zip(champion, random.normals(12, mean: -0.02, sd: 0.04)).map { $0 + $1 }
        let comparison = PairedComparison(champion: champion, challenger: challenger)
        let interval = try #require(comparison.confidenceInterval95)
        let theirs = try scipy("""
            d = np.subtract(data["challenger"], data["champion"])
            low, high = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
            out(d.mean(), d.std(ddof=1), low, high, d.mean() / d.std(ddof=1))
            """, ["champion": champion, "challenger": challenger])
        try #require(theirs.count == 5)
        let sd = try #require(comparison.standardDeviationOfDifferences)
        let effectSize = try #require(comparison.effectSize)
        #expect(comparison.items == 12)
        #expect(abs(comparison.meanDifference - theirs[0]) < tolerance)
        #expect(abs(sd - theirs[1]) < tolerance)
        #expect(abs(interval.lower - theirs[2]) < tolerance, "lower: ours \(interval.lower), scipy \(theirs[2])")
        #expect(abs(interval.upper - theirs[3]) < tolerance, "upper: ours \(interval.upper), scipy \(theirs[3])")
        #expect(abs(effectSize - theirs[4]) < tolerance)
        // Round-trips through JSON, as experiments are stored.
        let decoded = try JSONDecoder().decode(PairedComparison.self, from: JSONEncoder().encode(comparison))
        #expect(decoded == comparison)
    }

    @Test func undefinedCasesAreNil() {
        #expect(PairedTTest.compute(differences: [0.2, 0.2, 0.2]) == nil, "sd 0: scipy gives NaN or ±inf")
        #expect(PairedTTest.compute(differences: [0.5]) == nil)
        #expect(WilcoxonSignedRank.compute(differences: [0, 0, 0, 0]) == nil, "all zero: scipy gives NaN")
        #expect(WilcoxonSignedRank.compute(differences: []) == nil)
        let same = PairedComparison(champion: [0.4, 0.5, 0.6], challenger: [0.4, 0.5, 0.6])
        #expect(same.pairedTTest == nil && same.wilcoxon == nil && same.effectSize == nil && same.confidenceInterval95 == nil)
        #expect(same.meanDifference == 0 && same.standardDeviationOfDifferences == 0)
        #expect(KolmogorovSmirnovTest.twoSample([], [1, 2]) == nil)
        #expect(PopulationStabilityIndex.compute(reference: [1, 2], current: []) == nil)
    }

    // MARK: - Wilcoxon signed-rank, one test per branch of scipy's method="auto"

    @Test func wilcoxonExactWithoutTies() throws {
        var random = SplitMix64(seed: 9)
        let d = random.normals(9, mean: 0.6, sd: 1)
        let ours = try #require(WilcoxonSignedRank.compute(differences: d))
        #expect(ours.method == .exact)
        #expect(ours.zStatistic == nil)
        try expectWilcoxon(ours, d)
    }

    @Test func wilcoxonPermutationWithTiesAndAZero() throws {
        var random = SplitMix64(seed: 10)
        // Whole numbers give ties; one difference is exactly zero.
        var d = (0..<10).map { _ in Double(Int(random.uniform() * 9) - 3) }
        d[0] = 0
        d[1] = 2
        d[2] = -2
        d[3] = 4
        let ours = try #require(WilcoxonSignedRank.compute(differences: d))
        #expect(ours.method == .permutation)
        #expect(ours.nonZeroDifferences == d.filter { $0 != 0 }.count)
        try expectWilcoxon(ours, d)
    }

    @Test func wilcoxonNormalApproximationWithTiesAndZeros() throws {
        var random = SplitMix64(seed: 30)
        // Half-unit steps: many ties, several zeros, n = 30 (too many for the permutation test).
        var d = random.normals(30, mean: 0.8, sd: 1.5).map { ($0 * 2).rounded() / 2 }
        d[0] = 0
        d[1] = 0
        let ours = try #require(WilcoxonSignedRank.compute(differences: d))
        #expect(ours.method == .normalApproximation)
        try expectWilcoxon(ours, d, checkZ: true)
    }

    @Test func wilcoxonNormalApproximationForLargeSamples() throws {
        var random = SplitMix64(seed: 70)
        let d = random.normals(70, mean: 0.3, sd: 1)
        let ours = try #require(WilcoxonSignedRank.compute(differences: d))
        #expect(ours.method == .normalApproximation)
        try expectWilcoxon(ours, d, checkZ: true)
    }

    /// scipy.stats.wilcoxon(d) with defaults; z from method="asymptotic" (the same computation,
    /// which also reports the z statistic).
    private func expectWilcoxon(_ ours: WilcoxonSignedRank, _ d: [Double], checkZ: Bool = false) throws {
        let theirs = try scipy("""
            r = stats.wilcoxon(data["d"])
            out(r.statistic, r.pvalue, stats.wilcoxon(data["d"], method="asymptotic").zstatistic)
            """, ["d": d])
        try #require(theirs.count == 3)
        #expect(abs(ours.statistic - theirs[0]) < tolerance, "statistic: ours \(ours.statistic), scipy \(theirs[0])")
        #expect(abs(ours.pValue - theirs[1]) < tolerance, "p: ours \(ours.pValue), scipy \(theirs[1])")
        #expect(theirs[1] > 1e-6 && theirs[1] < 0.9, "the case should be informative (p = \(theirs[1]))")
        if checkZ {
            let z = try #require(ours.zStatistic)
            #expect(abs(z - theirs[2]) < tolerance, "z: ours \(z), scipy \(theirs[2])")
        }
    }

    // MARK: - Kolmogorov–Smirnov

    @Test func ksExactForSmallSamples() throws {
        var random = SplitMix64(seed: 2025)
        let a = random.normals(20, mean: 0, sd: 1), b = random.normals(25, mean: 0.7, sd: 1)
        let ours = try #require(KolmogorovSmirnovTest.twoSample(a, b))
        #expect(ours.method == .exact)
        try expectKS(ours, a, b)
    }

    @Test func ksExactWithTiedDiscreteValues() throws {
        var random = SplitMix64(seed: 4)
        let a = (0..<40).map { _ in Double(Int(random.uniform() * 5)) }
        let b = (0..<55).map { _ in Double(Int(random.uniform() * 5 + 1.5)) }
        let ours = try #require(KolmogorovSmirnovTest.twoSample(a, b))
        #expect(ours.method == .exact)
        try expectKS(ours, a, b)
    }

    @Test func ksAsymptoticForLargeSamples() throws {
        // scipy is exact up to 10 000 values per sample; beyond, it uses kstwo with n = round(mn/(m+n)).
        var random = SplitMix64(seed: 12000)
        let a = random.normals(12000, mean: 0, sd: 1), b = random.normals(15000, mean: 0.03, sd: 1)
        let ours = try #require(KolmogorovSmirnovTest.twoSample(a, b))
        #expect(ours.method == .asymptotic)
        try expectKS(ours, a, b)
    }

    private func expectKS(_ ours: KolmogorovSmirnovTest, _ a: [Double], _ b: [Double]) throws {
        let theirs = try scipy("""
            r = stats.ks_2samp(data["a"], data["b"])
            out(r.statistic, r.pvalue)
            """, ["a": a, "b": b])
        try #require(theirs.count == 2)
        #expect(abs(ours.statistic - theirs[0]) < tolerance, "D: ours \(ours.statistic), scipy \(theirs[0])")
        #expect(abs(ours.pValue - theirs[1]) < tolerance, "p: ours \(ours.pValue), scipy \(theirs[1])")
        #expect(theirs[1] > 1e-6 && theirs[1] < 0.9, "the case should be informative (p = \(theirs[1]))")
        // Two-sided: the samples' order must not matter (D is the larger gap in either direction).
        #expect(KolmogorovSmirnovTest.twoSample(b, a) == ours)
    }

    /// The distribution behind the asymptotic p-value, in each of its regimes (Ruben–Gambino near
    /// the ends of the support, Durbin's matrix, twice the one-sided Smirnov probability, and the
    /// Pelz–Good expansion for large n), against scipy.stats.kstwo.sf.
    @Test func kolmogorovDistributionMatchesKstwo() throws {
        var points: [(n: Int, x: Double)] = []
        for n in [5, 60, 140, 400, 6667, 150_000] {
            points += [0.1, 0.5, 1.5, 3, 10].map { (n, ($0 / Double(n)).squareRoot()) }
            points += [(n, 0.8 / Double(n)), (n, 0.6)]
        }
        let ours = points.map { KolmogorovSmirnovDistribution.twoSidedSurvival($0.x, sampleSize: $0.n) }
        let theirs = try scipy("""
            out(*stats.kstwo.sf(data["x"], data["n"]))
            """, ["n": points.map { Double($0.n) }, "x": points.map(\.x)])
        try #require(theirs.count == points.count)
        for (point, (mine, reference)) in zip(points, zip(ours, theirs)) {
            #expect(abs(mine - reference) < tolerance, "n = \(point.n), x = \(point.x): ours \(mine), scipy \(reference)")
        }
    }

    // MARK: - Population stability index

    /// The same definition in numpy: edges at np.quantile (linear) of the reference, deduplicated,
    /// right-closed bins, shares floored at 1e-4.
    private static let numpyPSI = """
        def psi(ref, cur, bins):
            ref, cur = np.asarray(ref), np.asarray(cur)
            edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
            share = lambda x: np.maximum(np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1) / len(x), 1e-4)
            r, c = share(ref), share(cur)
            return float(np.sum((c - r) * np.log(c / r))), len(edges) + 1
        """

    @Test func psiMatchesNumpyDefinition() throws {
        var random = SplitMix64(seed: 77)
        let reference = random.normals(2000, mean: 0, sd: 1)
        let shifted = random.normals(1500, mean: 0.8, sd: 1)
        let nearby = random.normals(1800, mean: 0.05, sd: 1.05)
        // A discrete feature (speakers per lesson): repeated deciles collapse into fewer bins.
        let speakers = (0..<500).map { _ in Double(1 + Int(random.uniform() * 4)) }
        let moreSpeakers = (0..<400).map { _ in Double(2 + Int(random.uniform() * 4)) }
        let cases = [(reference, shifted), (reference, nearby), (speakers, moreSpeakers)]
        let ours = try cases.map { try #require(PopulationStabilityIndex.compute(reference: $0.0, current: $0.1)) }
        let theirs = try scipy(Self.numpyPSI + """

            for ref, cur in [("reference", "shifted"), ("reference", "nearby"), ("speakers", "moreSpeakers")]:
                out(*psi(data[ref], data[cur], 10))
            """, ["reference": reference, "shifted": shifted, "nearby": nearby, "speakers": speakers, "moreSpeakers": moreSpeakers])
        try #require(theirs.count == 6)
        for (index, psi) in ours.enumerated() {
            #expect(abs(psi.value - theirs[2 * index]) < tolerance, "case \(index): ours \(psi.value), numpy \(theirs[2 * index])")
            #expect(Double(psi.bins.count) == theirs[2 * index + 1])
            #expect(abs(psi.bins.map(\.referenceShare).reduce(0, +) - 1) < 1e-3)
        }
        #expect(ours[0].value > 0.2, "a shift of 0.8 sd is a significant drift")
        #expect(ours[1].value < 0.1, "a small change is stable")
        #expect(ours[0].bins.count == 10 && ours[0].bins.last?.upperEdge == nil)
        #expect(ours[2].bins.count < 10, "a discrete feature has fewer distinct edges")
    }

    @Test func psiOfIdenticalSamplesIsZero() throws {
        var random = SplitMix64(seed: 5)
        let sample = random.normals(1000, mean: 3, sd: 2)
        let psi = try #require(PopulationStabilityIndex.compute(reference: sample, current: sample.shuffled(using: &random)))
        #expect(psi.value == 0)
        #expect(psi.bins.allSatisfy { $0.referenceShare == $0.currentShare })
    }

    // MARK: - Helpers

    /// Runs a Python snippet with numpy and scipy; `data` arrives as the dictionary `data` (through a
    /// JSON file: samples can exceed the 128 KiB limit of one command-line argument), and `out(...)`
    /// prints numbers, which are returned in order. Swift prints doubles in their shortest exact
    /// form and Python's repr reads and writes them the same way, so no digits are lost either way.
    private func scipy(_ script: String, _ data: [String: [Double]], function: String = #function) throws -> [Double] {
        let file = try Fixtures.temporaryDirectory(function).appendingPathComponent("data.json")
        let json = "{" + data.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        try json.write(to: file, atomically: true, encoding: .utf8)
        let prelude = """
            import sys, json, warnings
            import numpy as np
            from scipy import stats
            warnings.simplefilter("ignore")
            data = json.load(open(sys.argv[1]))
            def out(*values):
                print(*[repr(float(v)) for v in values])

            """
        let result = try Fixtures.run(Fixtures.python, ["-c", prelude + script, file.path])
        #expect(result.status == 0, "scipy failed: \(result.stderr)")
        return result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
    }
}

/// SplitMix64: a small deterministic generator, so every run tests the same numbers.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Normal deviates by the Box–Muller transform.
    mutating func normals(_ count: Int, mean: Double, sd: Double) -> [Double] {
        (0..<count).map { _ in
            let u = 1 - uniform(), v = uniform()
            return mean + sd * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
    }
}
