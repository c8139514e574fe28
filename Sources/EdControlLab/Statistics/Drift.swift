import EdControlEngine
import Foundation

// Drift between a reference sample of a feature (e.g. the lessons a model was validated on) and
// a current one: the population stability index, a binned effect size, and the two-sample
// Kolmogorov–Smirnov test, which reproduces scipy.stats.ks_2samp (scipy 1.17.1, defaults).

/// PSI = Σ (current share − reference share) · ln(current share / reference share) over bins cut
/// at the reference's deciles (or other quantiles). By the common rule of thumb, below 0.1 is
/// stable, 0.1–0.2 a moderate shift, above 0.2 a significant one.
public struct PopulationStabilityIndex: Codable, Sendable, Equatable {
    public struct Bin: Codable, Sendable, Equatable {
        /// The bin is (previous edge, upperEdge]; nil for the last bin, which reaches +∞.
        public var upperEdge: Double?
        public var referenceShare: Double
        public var currentShare: Double
        public init(upperEdge: Double?, referenceShare: Double, currentShare: Double) {
            self.upperEdge = upperEdge
            self.referenceShare = referenceShare
            self.currentShare = currentShare
        }
    }

    /// Shares below this are raised to it: an empty bin would otherwise make ln(0/x) infinite.
    /// 1e-4 is the common convention; it only affects bins holding under 0.01% of a sample.
    public static let shareFloor = 1e-4

    public var value: Double
    public var bins: [Bin]

    public init(value: Double, bins: [Bin]) {
        self.value = value
        self.bins = bins
    }

    /// Edges at the reference's quantiles 1/bins, …, (bins−1)/bins (numpy.quantile's default
    /// "linear" method), with repeated edges dropped: a discrete feature such as a speaker count
    /// has fewer distinct cut points than `bins`, and gets fewer, wider bins rather than empty
    /// ones. The bins are (−∞, e₁], (e₁, e₂], …, (e_k, +∞).
    /// nil when either sample is empty, a value is not finite, or `bins` < 1.
    public static func compute(reference: [Double], current: [Double], bins: Int = 10) -> PopulationStabilityIndex? {
        guard !reference.isEmpty, !current.isEmpty, bins >= 1,
              reference.allSatisfy(\.isFinite), current.allSatisfy(\.isFinite) else { return nil }
        let sortedReference = reference.sorted()
        var edges: [Double] = []
        for edge in (1..<bins).map({ linearQuantile(sortedReference, Double($0) / Double(bins)) }).sorted()
        where edges.last.map({ edge > $0 }) ?? true {
            edges.append(edge)
        }
        let referenceShares = shares(reference, edges: edges), currentShares = shares(current, edges: edges)
        let result = (0..<referenceShares.count).map { index in
            Bin(upperEdge: index < edges.count ? edges[index] : nil,
                referenceShare: referenceShares[index], currentShare: currentShares[index])
        }
        return PopulationStabilityIndex(value: value(referenceShares: referenceShares, currentShares: currentShares), bins: result)
    }

    /// Σ (current − reference)·ln(current / reference) over paired shares of the same bins
    /// or categories, each share floored at `shareFloor` first.
    public static func value(referenceShares: [Double], currentShares: [Double]) -> Double {
        PairwiseSum.sum(zip(referenceShares, currentShares).map { r, c in
            let (r, c) = (max(r, shareFloor), max(c, shareFloor))
            return (c - r) * log(c / r)
        })
    }

    /// numpy.quantile(method="linear"): interpolate at the virtual index (n − 1)·q, with the
    /// same two-sided formula numpy uses (from the nearer end), so edges match it exactly and
    /// values lying on an edge fall in the same bin.
    static func linearQuantile(_ sorted: [Double], _ q: Double) -> Double {
        let n = sorted.count
        let virtual = Double(n - 1) * q
        if virtual >= Double(n - 1) { return sorted[n - 1] }
        if virtual < 0 { return sorted[0] }
        let below = virtual.rounded(.down)
        let gamma = virtual - below
        let a = sorted[Int(below)], b = sorted[Int(below) + 1]
        let difference = b - a
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }

    /// Share of `values` in each bin (index = number of edges strictly below the value), floored.
    private static func shares(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Int](repeating: 0, count: edges.count + 1)
        for value in values {
            var low = 0, high = edges.count
            while low < high {
                let middle = (low + high) / 2
                if edges[middle] < value { low = middle + 1 } else { high = middle }
            }
            counts[low] += 1
        }
        return counts.map { max(Double($0) / Double(values.count), shareFloor) }
    }
}

/// The two-sample Kolmogorov–Smirnov test, two-sided: scipy.stats.ks_2samp(a, b) with its
/// defaults (alternative="two-sided", method="auto").
///
/// scipy's "auto" is exact when both samples have at most 10 000 values: the p-value is the
/// share of the C(m+n, n) equally likely orderings whose difference of empirical CDFs reaches
/// the observed D, counted on the lattice-path grid. Larger samples use the distribution of the
/// one-sample statistic D_N with N = round(mn/(m+n)) (scipy.stats.kstwo), as scipy does.
public struct KolmogorovSmirnovTest: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable {
        case exact, asymptotic
    }

    /// D = max |F_a(x) − F_b(x)| (in the exact case rounded to the nearest multiple of
    /// 1/lcm(m, n), as scipy reports it).
    public var statistic: Double
    public var pValue: Double
    public var method: Method

    public init(statistic: Double, pValue: Double, method: Method) {
        self.statistic = statistic
        self.pValue = pValue
        self.method = method
    }

    /// nil when either sample is empty or holds a non-finite value.
    public static func twoSample(_ a: [Double], _ b: [Double]) -> KolmogorovSmirnovTest? {
        guard !a.isEmpty, !b.isEmpty, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return nil }
        let x = a.sorted(), y = b.sorted()
        let n1 = x.count, n2 = y.count
        // Walk both samples in order; after each distinct value compare the two ECDFs there,
        // in the same floating-point form as scipy (i/n1 − j/n2) so that D agrees bit for bit.
        var i = 0, j = 0
        var largest = -Double.infinity, smallest = Double.infinity
        while i < n1 || j < n2 {
            let value = min(i < n1 ? x[i] : .infinity, j < n2 ? y[j] : .infinity)
            while i < n1, x[i] <= value { i += 1 }
            while j < n2, y[j] <= value { j += 1 }
            let difference = Double(i) / Double(n1) - Double(j) / Double(n2)
            largest = max(largest, difference)
            smallest = min(smallest, difference)
        }
        let below = min(max(-smallest, 0), 1)
        var d = below > largest ? below : largest

        if max(n1, n2) <= 10_000 {
            // In units of 1/lcm(n1, n2), D is a whole number h.
            let g = gcd(n1, n2)
            let lcm = (n1 / g) * n2
            let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
            d = Double(h) / Double(lcm)
            let p: Double
            if h == 0 {
                p = 1
            } else if n1 == n2 {
                p = probabilityOutsideSquare(n: n1, h: h)
            } else {
                p = probabilityOutsideBand(n1, n2, g: g, h: h)
            }
            // scipy falls back to the asymptotic distribution if the result is not a probability.
            if p >= 0 && p <= 1 {
                return KolmogorovSmirnovTest(statistic: d, pValue: p, method: .exact)
            }
        }
        let larger = Double(max(n1, n2)), smaller = Double(min(n1, n2))
        let effective = larger * smaller / (larger + smaller)
        let p = KolmogorovSmirnovDistribution.twoSidedSurvival(d, sampleSize: Int(effective.rounded(.toNearestOrEven)))
        return KolmogorovSmirnovTest(statistic: d, pValue: min(max(p, 0), 1), method: .asymptotic)
    }

    /// Equal sizes n: P(D ≥ h/n) = 2 Σ_{k≥1} (−1)^(k−1) C(2n, n − kh) / C(2n, n). Each binomial is
    /// reached from the previous one by a product of h ratios, and the alternating sum is nested
    /// as 2·A₀(1 − A₁(1 − A₂(…))) so that no two large terms are subtracted.
    static func probabilityOutsideSquare(n: Int, h: Int) -> Double {
        var nested = 0.0
        var k = n / h
        while k >= 0 {
            var ratio = 1.0  // C(2n, n − (k+1)h) / C(2n, n − kh)
            for j in 0..<h {
                ratio = Double(n - k * h - j) * ratio / Double(n + k * h + j + 1)
            }
            nested = ratio * (1 - nested)
            k -= 1
        }
        return 2 * nested
    }

    /// Unequal sizes: the share of monotone lattice paths from (0, 0) to (m, n), m ≥ n, that touch
    /// the band edge |x·n/g − y·m/g| ≥ h (g = gcd). Instead of counting paths (numbers near
    /// C(m+n, n) overflow), propagate the probability q(x, y) that a uniformly random path to
    /// (x, y) has touched the edge (Viehmann 2021): q = 1 on and beyond the edge, and inside
    /// q(x, y) = [x·q(x−1, y) + y·q(x, y−1)] / (x + y), since a random path reaches (x, y) from
    /// the left with probability x/(x+y). One column of q is kept; only the band is updated.
    static func probabilityOutsideBand(_ n1: Int, _ n2: Int, g: Int, h: Int) -> Double {
        let m = max(n1, n2), n = min(n1, n2)
        let mg = m / g, ng = n / g
        // Column x: cells y with |ng·x − mg·y| < h lie inside the band, y in [low, high).
        func low(_ x: Int) -> Int { min(max(floorDivide(ng * x - h, mg) + 1, 0), n) }
        func high(_ x: Int) -> Int { min(ceilDivide(ng * x + h, mg), n + 1) }
        var column = [Double](repeating: 1, count: n + 1)
        var currentLow = 0, currentHigh = high(0)
        for y in 0..<currentHigh { column[y] = 0 }  // the straight path up the first column
        for x in 1...m {
            let newLow = low(x), newHigh = high(x)
            if newHigh <= newLow { return 1 }  // the band is closed: every path touches the edge
            // Cells that dropped out of the band at the bottom are now beyond the edge.
            for y in currentLow..<min(newLow, currentHigh) { column[y] = 1 }
            let xd = Double(x)
            var below = newLow == 0 ? 0.0 : 1.0
            for y in newLow..<newHigh {
                let value = (column[y] * xd + below * Double(y)) / (xd + Double(y))
                column[y] = value
                below = value
            }
            currentLow = newLow
            currentHigh = newHigh
        }
        return column[n]
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    private static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    private static func ceilDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
}
