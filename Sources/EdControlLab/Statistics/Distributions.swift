import EdControlEngine
import Foundation

// Probability distributions for the paired tests and drift checks in this folder.
//
// No maintained Swift library on this machine provides the normal, Student t or Kolmogorov
// distributions (swift-numerics has no special functions beyond the elementary ones), so they
// are written here from the mathematics, on top of Glibc's erfc, lgamma, exp and log.
// Each function is checked against scipy 1.17.1 (see Tests/EndToEndTests/StatisticsTests.swift).

/// The standard normal distribution N(0, 1).
public enum StandardNormal {
    /// P(Z ≤ x). erfc keeps full relative precision in the lower tail, where 1 − erf would not.
    public static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.5.squareRoot())
    }

    /// P(Z > x), accurate far into the upper tail for the same reason.
    public static func survival(_ x: Double) -> Double {
        0.5 * erfc(x * 0.5.squareRoot())
    }
}

/// Student's t distribution with real degrees of freedom ν > 0 (ν = ∞ is the normal distribution).
public enum StudentT {
    /// P(T ≤ t); NaN when ν ≤ 0 or an argument is NaN.
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        // The distribution is symmetric: the lower tail at t is the upper tail at −t.
        survival(-t, degreesOfFreedom: nu)
    }

    /// P(T > t); NaN when ν ≤ 0 or an argument is NaN.
    public static func survival(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard !t.isNaN, !nu.isNaN, nu > 0 else { return .nan }
        if nu == .infinity { return StandardNormal.survival(t) }
        if t == 0 { return 0.5 }
        // For |t| > 0: P(|T| > |t|) = I_x(ν/2, ½) with x = ν/(ν + t²), and P(|T| < |t|) = I_y(½, ν/2)
        // with y = 1 − x = t²/(ν + t²) (regularized incomplete beta). Both x and y are formed
        // directly, so neither loses digits to a subtraction.
        //
        // Which side is evaluated matters more than the textbook rule (x < (a+1)/(a+b+2)) says:
        // with ν/2 large and x near 1 the continued fraction for I_x(ν/2, ½) cancels badly
        // (1e-9 relative at ν = 1e8, |t| ≈ 2), while the one for I_y(½, ν/2) converges in a few
        // steps whenever t² is moderate (for large t it would leave the tail as 1 − I_y, which
        // cancels). Switching at t² = 9, measured against mpmath for ν from 0.3 to 1e8: absolute
        // error below 1e-12 everywhere, relative error below 3e-12 for ν ≤ 1e5 (1e-9 at ν = 1e8).
        let t2 = t * t
        let upperTwoSided: Double, lowerTwoSided: Double
        if t2 <= 9 {
            lowerTwoSided = IncompleteBeta.regularized(a: 0.5, b: 0.5 * nu, x: t2 / (nu + t2), y: nu / (nu + t2))
            upperTwoSided = 1 - lowerTwoSided
        } else if t2 < 1e250 {
            upperTwoSided = IncompleteBeta.regularized(a: 0.5 * nu, b: 0.5, x: nu / (nu + t2), y: t2 / (nu + t2))
            lowerTwoSided = 1 - upperTwoSided
        } else {
            // Far tail (x would underflow): I_x(a, ½) = x^a / (a·B(a, ½)) · (1 + O(x)), in logarithms.
            let a = 0.5 * nu
            upperTwoSided = exp(a * (log(nu) - 2 * log(abs(t))) - log(a) - IncompleteBeta.logBeta(a, 0.5))
            lowerTwoSided = 1 - upperTwoSided
        }
        let oneTail = 0.5 * upperTwoSided  // P(T > |t|)
        return t > 0 ? oneTail : 0.5 + 0.5 * lowerTwoSided
    }

    /// The density, used by the quantile's Newton steps.
    public static func density(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard !t.isNaN, !nu.isNaN, nu > 0 else { return .nan }
        if nu == .infinity { return exp(-0.5 * t * t) / (2 * Double.pi).squareRoot() }
        // f(t) = (1 + t²/ν)^(−(ν+1)/2) / (√ν · B(ν/2, 1/2))
        let t2 = t * t
        let logKernel = t2 < 1e250 ? log1p(t2 / nu) : 2 * log(abs(t)) - log(nu)  // log(1 + t²/ν)
        let logDensity = -0.5 * (nu + 1) * logKernel - 0.5 * log(nu) - IncompleteBeta.logBeta(0.5 * nu, 0.5)
        return exp(logDensity)
    }

    /// The p-quantile: the t with P(T ≤ t) = p, to about 1e-14 relative for ν ≤ 1e4 (then limited
    /// by the cdf: 4e-13 at ν = 1e5).
    /// −∞ at p = 0, +∞ at p = 1, NaN outside [0, 1] or when ν ≤ 0.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        guard !p.isNaN, !nu.isNaN, nu > 0, (0...1).contains(p) else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        // Solve in the smaller tail, where probabilities carry full relative precision,
        // then use the symmetry q(p) = −q(1 − p).
        let tail = min(p, 1 - p)
        let root = upperTailRoot(tail, nu)
        return p < 0.5 ? -root : root
    }

    /// The t > 0 with survival(t) = tail (0 < tail < 0.5): a bracket, then Newton on log S(t)
    /// (nearly linear in log t far out in the tail), falling back to bisection whenever a
    /// Newton step would leave the bracket.
    private static func upperTailRoot(_ tail: Double, _ nu: Double) -> Double {
        var low = 0.0, high = 1.0
        while survival(high, degreesOfFreedom: nu) > tail {
            low = high
            high *= 2
            if !high.isFinite { return .infinity }
        }
        let logTail = log(tail)
        var t = 0.5 * (low + high)
        for _ in 0..<400 {
            let s = survival(t, degreesOfFreedom: nu)
            if s == tail { return t }
            if s > tail { low = t } else { high = t }
            let f = density(t, degreesOfFreedom: nu)
            var next = 0.5 * (low + high)
            if s > 0, f > 0 {
                // d/dt log S(t) = −f(t)/S(t)
                let newton = t + (log(s) - logTail) * s / f
                if newton > low, newton < high { next = newton }
            }
            if abs(next - t) <= 1e-15 * t || high - low <= 4 * high.ulp { return next }
            t = next
        }
        return t
    }
}

/// The regularized incomplete beta function I_x(a, b) and log B(a, b).
enum IncompleteBeta {
    /// I_x(a, b), given x and y = 1 − x separately so that callers that know 1 − x exactly (the
    /// t distribution does) do not lose it to rounding: x^a y^b / (a·B(a, b)) times the continued
    /// fraction of Abramowitz & Stegun 26.5.8, evaluated with the modified Lentz method.
    /// The fraction converges fast for x well below (a+1)/(a+b+2); choosing between I_x(a, b)
    /// and 1 − I_y(b, a) is left to the caller, who knows which side is well-conditioned.
    static func regularized(a: Double, b: Double, x: Double, y: Double) -> Double {
        if x <= 0 { return 0 }
        if y <= 0 { return 1 }
        return prefactor(a: a, b: b, x: x, y: y) * continuedFraction(a: a, b: b, x: x) / a
    }

    /// x^a · y^b / B(a, b), in logarithms (the powers under- or overflow on their own).
    private static func prefactor(a: Double, b: Double, x: Double, y: Double) -> Double {
        // log of whichever of x, y is near 1 comes from log1p of the other, which is exact there.
        let logX = x < 0.5 ? log(x) : log1p(-y)
        let logY = y < 0.5 ? log(y) : log1p(-x)
        return exp(a * logX + b * logY - logBeta(a, b))
    }

    /// 1 / (1 + d1/(1 + d2/(1 + …))) with d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),
    /// d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)).
    private static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-16
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...100_000 {
            let m = Double(m), m2 = 2 * m
            // Even step.
            var numerator = m * (b - m) * x / ((a - 1 + m2) * (a + m2))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd step.
            numerator = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return result
    }

    /// log B(a, b) = lgamma(a) + lgamma(b) − lgamma(a+b), rearranged with Stirling's series when
    /// an argument is large: the three lgammas are then huge and nearly cancel, which would
    /// cost digits in exactly the large-ν t distributions that paired tests use.
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        let p = min(a, b), q = max(a, b)
        let halfLog2Pi = 0.5 * log(2 * Double.pi)
        if p >= 10 {
            return -0.5 * log(q) + halfLog2Pi + stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(p + q)
                + (p - 0.5) * log(p / (p + q)) + q * log1p(-p / (p + q))
        }
        if q >= 10 {
            return logGamma(p) + stirlingCorrection(q) - stirlingCorrection(p + q) + p - p * log(p + q)
                + (q - 0.5) * log1p(-p / (p + q))
        }
        return logGamma(p) + logGamma(q) - logGamma(p + q)
    }

    /// log Γ(x) for x > 0, through lgamma_r (Swift's tuple-returning lgamma): plain lgamma
    /// writes the sign to a process-wide variable, a data race under concurrency.
    static func logGamma(_ x: Double) -> Double { lgamma(x).0 }

    /// lgamma(x) − [(x − ½) log x − x + ½ log 2π] for x ≥ 10, from Stirling's series
    /// Σ B₂ₖ / (2k(2k−1) x^(2k−1)); six terms leave an error below 1e-15.
    static func stirlingCorrection(_ x: Double) -> Double {
        let r = 1 / x, r2 = r * r
        let series = 1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188 - r2 * (691.0 / 360360)))))
        return r * series
    }
}

/// The sampling distribution of the two-sided one-sample Kolmogorov–Smirnov statistic D_n
/// (scipy.stats.kstwo), and the one-sided D_n⁺ (scipy.special.smirnov) it is built on.
///
/// The survival function follows the regime choices of Simard & L'Ecuyer (2011), the same
/// thresholds scipy uses, so that both compute the same quantity in each regime:
/// closed forms near the ends of the support (Ruben–Gambino), twice the exact one-sided
/// probability where the two tails cannot overlap or the overlap is negligible, Durbin's matrix
/// (Marsaglia–Tsang–Wang) where exact, and the Pelz–Good expansion for large n and small x.
/// Where scipy uses Pomeranz's recursion (n ≤ 140, 0.754693 < n·x² ≤ 4) this uses Durbin's
/// matrix, which computes the same exact probability by another route.
public enum KolmogorovSmirnovDistribution {
    /// P(D_n ≥ x) for the two-sided statistic with sample size n (scipy.stats.kstwo.sf(x, n)).
    public static func twoSidedSurvival(_ x: Double, sampleSize n: Int) -> Double {
        guard n >= 1, !x.isNaN else { return .nan }
        // The support is [1/(2n), 1]: below it the statistic is certainly larger.
        if x <= 0.5 / Double(n) { return 1 }
        if x >= 1 { return 0 }
        let nd = Double(n)
        let t = nd * x
        if t <= 1 {
            // Ruben–Gambino: P(D_n ≤ x) = n!/nⁿ · (2t − 1)ⁿ for 1/(2n) ≤ x ≤ 1/n.
            let cdf: Double
            if n <= 140 {
                var product = 1.0
                for i in 1...n { product *= Double(i) * (1.0 / nd) * (2 * t - 1) }
                cdf = product
            } else {
                cdf = exp(logFactorialOverPower(n) + nd * log(2 * t - 1))
            }
            return clip(1 - cdf)
        }
        if t >= nd - 1 {
            // Ruben–Gambino at the top: only the two extreme configurations remain.
            return clip(2 * pow(1 - x, nd))
        }
        if x >= 0.5 {
            // D⁺ ≥ x and D⁻ ≥ x cannot both hold when x ≥ 1/2, so the tails simply add.
            return clip(2 * oneSidedSurvival(x, sampleSize: n))
        }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 4 { return clip(1 - durbinMatrixCDF(n: n, d: x)) }
            return clip(2 * oneSidedSurvival(x, sampleSize: n))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * oneSidedSurvival(x, sampleSize: n)) }
        let cdf: Double
        if n <= 100_000 && nd * pow(x, 1.5) <= 1.4 {
            cdf = durbinMatrixCDF(n: n, d: x)
        } else {
            cdf = pelzGoodCDF(n: n, x: x)
        }
        return clip(1 - cdf)
    }

    /// P(D_n⁺ ≥ x) for the one-sided statistic (scipy.special.smirnov(n, x)), from the exact
    /// Birnbaum–Tingey sum x · Σ_{j=0}^{⌊n(1−x)⌋} C(n, j) (1 − x − j/n)^(n−j) (x + j/n)^(j−1).
    /// Every term is positive, so summing them (in logarithms, to survive under- and overflow)
    /// loses nothing to cancellation; measured against scipy, the two agree to 2e-14.
    public static func oneSidedSurvival(_ x: Double, sampleSize n: Int) -> Double {
        guard n >= 1, !x.isNaN, x >= 0, x <= 1 else { return .nan }
        if n == 1 { return 1 - x }
        if x == 0 { return 1 }
        if x == 1 { return 0 }
        let nd = Double(n)
        // n·x = whole + fraction, with the product's rounding error folded back in (via fma),
        // because the factors (1 − x − j/n) = (n − j − whole − fraction)/n must not cancel badly.
        let nxHigh = nd * x, nxLow = fma(nd, x, -nxHigh)
        var whole = nxHigh.rounded(.down)
        if whole == nxHigh && nxLow < 0 { whole -= 1 }
        var fraction = (nxHigh - whole) + nxLow
        if fraction >= 1 { whole += 1; fraction = 0 }
        let nxFloor = Int(whole)
        if nxFloor == 0 || (nxFloor == 1 && fraction == 0) {
            // x ≤ 1/n: P(D⁺ < x) = x (1 + x)^(n−1).
            return 1 - x * pow(1 + x, nd - 1)
        }
        if -2 * nd * x * x < -708.3964185322641 { return 0 }  // below the smallest normal double
        if nxFloor >= n - 1 { return pow(1 - x, nd) }
        if n > 1_000_000 {
            // Too many terms; the approximation exp(−(6nx + 1)²/(18n)) (as scipy does here).
            let logP = -pow(6 * nd * x + 1, 2) / 18 / nd
            return logP < -log(2.0) ? exp(logP) : 1 + expm1(logP)
        }
        // Each term in logarithms, with Stirling's formula for the three factorials written so
        // that the n·log n parts cancel algebraically rather than numerically (lgamma(n + 1) alone
        // is ~1e6 at n = 1e5, and its last bit would already cost 1e-10):
        // log term_j = (n−j)·log(u/(n−j)) + j·log(v/j) − log(v/n) + ½·log(n/(2π j (n−j)))
        //              + ε(n) − ε(j) − ε(n−j),   u = n(1 − x − j/n), v = n(x + j/n),
        // where log k! = k log k − k + ½ log(2πk) + ε(k).
        let nx = Double(nxFloor) + fraction
        var sum = exp(nd * log1p(-nx / nd) - log(x))  // j = 0: (1 − x)ⁿ / x
        let epsilonN = stirlingRemainder(n)
        for j in stride(from: 1, through: n - nxFloor - 1, by: 1) {
            let jd = Double(j), rest = Double(n - j)
            let logTerm = rest * log1p(-nx / rest) + jd * log1p(nx / jd) - log((nx + jd) / nd)
                + 0.5 * log(nd / (2 * Double.pi * jd * rest)) + epsilonN - stirlingRemainder(j) - stirlingRemainder(n - j)
            if logTerm > -745 { sum += exp(logTerm) }
        }
        return min(max(x * sum, 0), 1)
    }

    /// ε(k) = log k! − (k log k − k + ½ log 2πk): Stirling's series for k ≥ 10, directly below.
    private static func stirlingRemainder(_ k: Int) -> Double {
        let kd = Double(k)
        if k >= 10 { return IncompleteBeta.stirlingCorrection(kd) }
        return IncompleteBeta.logGamma(kd + 1) - (kd * log(kd) - kd + 0.5 * log(2 * Double.pi * kd))
    }

    // MARK: - Exact: Durbin's matrix

    /// P(D_n < d) by Durbin's matrix method as arranged by Marsaglia, Tsang & Wang (2003):
    /// with d = (k − h)/n, k = ⌈nd⌉, 0 ≤ h < 1, the probability is n!/nⁿ times the (k, k)
    /// entry of Hⁿ for a (2k−1)×(2k−1) matrix H of inverse factorials. Powers of two are
    /// split off into an exponent as the numbers grow, so nothing overflows.
    static func durbinMatrixCDF(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var inverseFactorial = [Double](repeating: 1, count: m + 1)
        for j in 1...m { inverseFactorial[j] = inverseFactorial[j - 1] / Double(j) }
        var H = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0..<m where i - j + 1 >= 0 { H[i * m + j] = inverseFactorial[i - j + 1] }
        }
        for i in 0..<m {
            // First column and last row carry the partial boundary terms (1 − hʲ)/j!.
            H[i * m] = (1 - pow(h, Double(i + 1))) * inverseFactorial[i + 1]
            H[(m - 1) * m + (m - 1 - i)] = (1 - pow(h, Double(i + 1))) * inverseFactorial[i + 1]
        }
        H[(m - 1) * m] = (1 - 2 * pow(h, Double(m)) + pow(max(0, 2 * h - 1), Double(m))) * inverseFactorial[m]

        let scale = 128, big = scalbn(1.0, scale)
        var power = [Double](repeating: 0, count: m * m)
        for i in 0..<m { power[i * m + i] = 1 }
        var powerExponent = 0, hExponent = 0
        var remaining = n
        while remaining > 0 {
            if remaining % 2 == 1 {
                power = multiply(power, H, m)
                powerExponent += hExponent
            }
            H = multiply(H, H, m)
            hExponent *= 2
            if abs(H[(k - 1) * m + (k - 1)]) > big {
                for i in H.indices { H[i] /= big }
                hExponent += scale
            }
            remaining /= 2
        }
        var p = power[(k - 1) * m + (k - 1)]
        // Times n!/nⁿ, one factor i/n at a time, keeping the running value away from underflow.
        let tiny = scalbn(1.0, -scale)
        for i in 1...n {
            p = Double(i) * p / Double(n)
            if abs(p) < tiny {
                p *= big
                powerExponent -= scale
            }
        }
        return clip(scalbn(p, powerExponent))
    }

    private static func multiply(_ a: [Double], _ b: [Double], _ m: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for l in 0..<m {
                let ail = a[i * m + l]
                if ail == 0 { continue }
                for j in 0..<m { c[i * m + j] += ail * b[l * m + j] }
            }
        }
        return c
    }

    // MARK: - Asymptotic: Pelz–Good

    /// The Pelz–Good (1976) expansion P(D_n ≤ x) ≈ K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^{3/2},
    /// z = x√n, in the theta-function form suited to small z (Simard & L'Ecuyer 2011, eqs. 8–11):
    /// each Kᵢ is a sum over odd m = 2k − 1 of a polynomial in m² times exp(−π²m²/(8z²)),
    /// and K₂, K₃ add a sum over all k of terms in exp(−π²k²/(2z²)). Both sums stop at
    /// k = ⌈16z/π⌉, as scipy's do.
    static func pelzGoodCDF(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let pi2 = Double.pi * Double.pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4
        if -pi2 / 8 / z2 < -708 { return 0 }
        let sqrt2Pi = (2 * Double.pi).squareRoot()
        let terms = Int((16 * z / Double.pi).rounded(.up))

        var k0 = 0.0, k1 = 0.0, k2 = 0.0, k3 = 0.0
        for k in stride(from: terms, through: 1, by: -1) {
            let m = Double(2 * k - 1), m2 = m * m, m4 = m2 * m2, m6 = m4 * m2
            let weight = exp(-pi2 * m2 / (8 * z2))
            k0 += weight
            k1 += weight * (pi2 / 4 * m2 - z2)
            k2 += weight * (6 * z6 + 2 * z4 + pi2 / 4 * (2 * z4 - 5 * z2) * m2 + pi4 / 16 * (1 - 2 * z2) * m4)
            k3 += weight * (-30 * z6 - 90 * z8 + pi2 / 4 * (135 * z4 - 96 * z6) * m2
                            + pi4 / 16 * (212 * z4 - 60 * z2) * m4 + pi6 / 64 * (5 - 30 * z2) * m6)
        }
        k0 *= sqrt2Pi / z
        k1 *= sqrt2Pi / (6 * z4)
        k2 *= sqrt2Pi / (72 * z6 * z)
        k3 *= sqrt2Pi / (6480 * z8 * z2)

        var extra2 = 0.0, extra3 = 0.0
        for k in stride(from: terms, through: 1, by: -1) {
            let kd = Double(k), k2d = kd * kd
            let weight = exp(-pi2 * k2d / (2 * z2))
            extra2 += k2d * weight
            extra3 += (3 * z2 - pi2 * k2d) * k2d * weight
        }
        k2 += extra2 * pi2 * sqrt2Pi / (-36 * z3)
        k3 += extra3 * pi2 * sqrt2Pi / (216 * z6)

        let nd = Double(n)
        return k0 + k1 / nd.squareRoot() + k2 / nd + k3 / (nd * nd.squareRoot())
    }

    // MARK: - Helpers

    /// log(n!/nⁿ) by Stirling's series with n log n taken out first (no cancellation).
    static func logFactorialOverPower(_ n: Int) -> Double {
        let nd = Double(n)
        return 0.5 * log(nd) - nd + 0.5 * log(2 * Double.pi) + IncompleteBeta.stirlingCorrection(nd)
    }

    private static func clip(_ p: Double) -> Double { min(max(p, 0), 1) }
}

/// NumPy's pairwise summation, reproduced so that means and variances agree with
/// numpy/scipy to the last bit: blocks of up to 128 values are summed in eight interleaved
/// accumulators, larger arrays are split in halves (rounded down to a multiple of 8).
enum PairwiseSum {
    static func sum(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { sum($0[...]) }
    }

    static func sum(_ v: Slice<UnsafeBufferPointer<Double>>) -> Double {
        let n = v.count, s = v.startIndex
        if n < 8 {
            var result = 0.0
            for i in v.indices { result += v[i] }
            return result
        }
        if n <= 128 {
            var r = (0..<8).map { v[s + $0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += v[s + i + j] }
                i += 8
            }
            var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n {
                result += v[s + i]
                i += 1
            }
            return result
        }
        var half = n / 2
        half -= half % 8
        return sum(v[s..<(s + half)]) + sum(v[(s + half)..<v.endIndex])
    }

    static func mean(_ values: [Double]) -> Double { sum(values) / Double(values.count) }

    /// The sample variance with n − 1 in the denominator, computed as scipy does:
    /// mean of squared deviations, then times n/(n − 1).
    static func sampleVariance(_ values: [Double], around center: Double) -> Double {
        let n = Double(values.count)
        return mean(values.map { ($0 - center) * ($0 - center) }) * (n / (n - 1))
    }
}
