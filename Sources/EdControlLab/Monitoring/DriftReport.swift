import EdControlEngine
import Foundation

/// How the lessons of a current window differ from those of a reference window, feature by
/// feature: the population stability index (reference quantile bins; categories for codecs)
/// and the two-sample Kolmogorov–Smirnov test, with an alert past the stated threshold.
public struct DriftReport: Codable, Sendable {
    /// PSI above this is an alert: the usual reading is < 0.1 stable, 0.1–0.2 a moderate
    /// shift, > 0.2 a shift that needs looking at. Below `confidentLessons` lessons in a
    /// window PSI swings by more than that on sampling alone, so a numeric feature's alert
    /// then also needs the Kolmogorov–Smirnov test at p < `alertKSPValue`.
    public static let alertPSI = 0.2
    public static let confidentLessons = 50
    public static let alertKSPValue = 0.05
    /// Fewer lessons than this in either window cannot show a distribution.
    public static let minimumLessons = 5

    public struct Window: Codable, Sendable, Equatable {
        public var label: String
        public var lessons: Int
    }

    public struct CategoryShare: Codable, Sendable, Equatable {
        public var category: String
        public var referenceShare: Double
        public var currentShare: Double
    }

    public struct Feature: Codable, Sendable, Equatable {
        public var name: String
        /// Lessons that have the feature in each window.
        public var referenceCount: Int
        public var currentCount: Int
        public var referenceMean: Double?
        public var currentMean: Double?
        public var psi: Double?
        /// The reference's decile bins with both windows' shares (numeric features).
        public var bins: [PopulationStabilityIndex.Bin]?
        /// Each category's shares (categorical features).
        public var categories: [CategoryShare]?
        public var kolmogorovSmirnov: KolmogorovSmirnovTest?
        public var alert: Bool
        /// Why there is no verdict, when there is none.
        public var note: String?
    }

    public var reference: Window
    public var current: Window
    public var features: [Feature]
    public var alertPSI: Double
    /// The features past the threshold.
    public var alerts: [String]

    public init(reference: [LessonFeatures], current: [LessonFeatures], referenceLabel: String, currentLabel: String) {
        self.reference = Window(label: referenceLabel, lessons: reference.count)
        self.current = Window(label: currentLabel, lessons: current.count)
        alertPSI = Self.alertPSI
        features = LessonFeatures.numericNames.map { name in
            Self.numeric(name, reference.compactMap { $0.numbers[name] }, current.compactMap { $0.numbers[name] })
        } + LessonFeatures.categoricalNames.map { name in
            Self.categorical(name, reference.compactMap { $0.categories[name] }, current.compactMap { $0.categories[name] })
        }
        alerts = features.filter(\.alert).map(\.name)
    }

    /// Deciles once both windows hold 50 lessons; fewer bins below that (a fifth of the smaller
    /// window, at least 2), because with a handful of lessons per decile a bin is empty by
    /// chance and its floored share alone would push PSI past the threshold.
    static func bins(_ a: Int, _ b: Int) -> Int { max(2, min(10, min(a, b) / 5)) }

    private static func tooFew(_ a: Int, _ b: Int) -> String? {
        min(a, b) < minimumLessons ? "too few lessons to compare (\(a) and \(b); at least \(minimumLessons) in each)" : nil
    }

    private static func numeric(_ name: String, _ a: [Double], _ b: [Double]) -> Feature {
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        var feature = Feature(name: name, referenceCount: a.count, currentCount: b.count, referenceMean: mean(a), currentMean: mean(b),
                              alert: false, note: tooFew(a.count, b.count))
        guard feature.note == nil, let psi = PopulationStabilityIndex.compute(reference: a, current: b, bins: bins(a.count, b.count)) else { return feature }
        feature.psi = psi.value
        feature.bins = psi.bins
        let ks = KolmogorovSmirnovTest.twoSample(a, b)
        feature.kolmogorovSmirnov = ks
        let enoughLessons = min(a.count, b.count) >= confidentLessons
        feature.alert = psi.value > alertPSI && (enoughLessons || (ks?.pValue ?? 1) < alertKSPValue)
        return feature
    }

    /// PSI over the categories seen in either window.
    private static func categorical(_ name: String, _ a: [String], _ b: [String]) -> Feature {
        var feature = Feature(name: name, referenceCount: a.count, currentCount: b.count, alert: false, note: tooFew(a.count, b.count))
        guard feature.note == nil else { return feature }
        func share(_ category: String, _ values: [String]) -> Double { Double(values.filter { $0 == category }.count) / Double(values.count) }
        let shares = Set(a + b).sorted().map { CategoryShare(category: $0, referenceShare: share($0, a), currentShare: share($0, b)) }
        let psi = PopulationStabilityIndex.value(referenceShares: shares.map(\.referenceShare), currentShares: shares.map(\.currentShare))
        feature.psi = psi
        feature.categories = shares
        feature.alert = psi > alertPSI
        return feature
    }
}
