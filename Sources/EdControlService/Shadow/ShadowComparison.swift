import EdControlEngine
import EdControlLab
import EdControlStorage
import Foundation

/// How a shadow run's challenger compares with the champion on the same real lessons:
/// whether they agree (flag, incidents paired by temporal IoU ≥ 0.5) and, where reviewers
/// have judged the champion's incidents, how precise each is, compared lesson by lesson with
/// the same paired statistics as offline experiments.
///
/// Reviewers judge the champion's incidents only, so a challenger's incident counts as
/// judged when it pairs with a reviewed one (IoU ≥ 0.5); the rest are unjudged and left out.
/// Precision alone would reward a challenger that flags less, so the confirmed incidents
/// each one finds are counted too.
public struct ShadowComparison: Codable, Sendable, Equatable {
    public struct FlagPair: Codable, Sendable, Equatable {
        public var champion: String
        public var challenger: String
        public var lessons: Int
    }

    /// Judged incidents of one configuration.
    public typealias Judged = JudgedIncidents

    /// Precision by reviewer. Reviewers are people of one school: only their own school's
    /// admins may see their names (`reviewers(of:)`).
    public struct Reviewer: Codable, Sendable, Equatable {
        public var schoolID: String
        public var reviewer: String
        public var champion: Judged
        public var challenger: Judged
    }

    public var challenger: String
    public var lessons: Int
    /// Lessons where both gave the same flag, and the share.
    public var sameFlag: Int
    public var flagAgreement: Double?
    /// Every (champion flag, challenger flag) that occurred, with its count.
    public var flagPairs: [FlagPair]
    public var championIncidents: Int
    public var challengerIncidents: Int
    /// Incidents of the two paired one-to-one by IoU ≥ 0.5, and the agreement F1 = 2·paired / (both counts).
    public var pairedIncidents: Int
    public var incidentAgreement: Double?
    /// Reviewed lessons, judged incidents of each, confirmed incidents found by each.
    public var reviewedLessons: Int
    public var confirmedIncidents: Int
    public var confirmedFoundByChampion: Int
    public var confirmedFoundByChallenger: Int
    public var champion: Judged
    public var challengerJudged: Judged
    /// Per-lesson precision, challenger − champion, on the lessons where both have judged incidents.
    public var precision: PairedComparison
    public var reviewers: [Reviewer]

    public init(challenger: String, results: [ShadowResult], reviews: [String: [IncidentReview]]) {
        self.challenger = challenger
        lessons = results.count
        sameFlag = results.filter { $0.championFlag == $0.challengerFlag }.count
        flagAgreement = results.isEmpty ? nil : Double(sameFlag) / Double(results.count)
        flagPairs = Dictionary(grouping: results) { "\($0.championFlag)\u{0}\($0.challengerFlag)" }
            .map { FlagPair(champion: $0.value[0].championFlag, challenger: $0.value[0].challengerFlag, lessons: $0.value.count) }
            .sorted { ($0.lessons, $1.champion, $1.challenger) > ($1.lessons, $0.champion, $0.challenger) }
        championIncidents = results.map(\.championIncidents.count).reduce(0, +)
        challengerIncidents = results.map(\.challengerIncidents.count).reduce(0, +)
        pairedIncidents = results.map {
            EpisodeScore.pairs(reference: $0.championIncidents.map(\.span), hypothesis: $0.challengerIncidents.map(\.span)).count
        }.reduce(0, +)
        let both = championIncidents + challengerIncidents
        incidentAgreement = both > 0 ? 2 * Double(pairedIncidents) / Double(both) : nil

        var champion = Judged(), challengerJudged = Judged()
        var byReviewer: [String: Reviewer] = [:]
        var pairedPrecision: (champion: [Double], challenger: [Double]) = ([], [])
        var reviewedLessons = 0, confirmed = 0, foundByChampion = 0, foundByChallenger = 0
        for result in results {
            guard let judged = reviews[result.lessonID], !judged.isEmpty else { continue }
            reviewedLessons += 1
            // The champion's incidents pair with what was judged; the challenger's with what
            // happened, as the reviewer corrected it.
            let championPairs = EpisodeScore.pairs(reference: judged.map { TimeSpan(start: $0.start, end: $0.end) },
                                                   hypothesis: result.championIncidents.map(\.span))
            let challengerPairs = EpisodeScore.pairs(reference: judged.map(\.labelledSpan), hypothesis: result.challengerIncidents.map(\.span))
            var lessonChampion = Judged(), lessonChallenger = Judged()
            // Every reviewed incident was one of the champion's (if the report changed since, its pair says so).
            for (index, review) in judged.enumerated() {
                let isConfirmed = review.verdict == .confirmed
                let inChampion = championPairs.contains { $0.reference == index }
                let inChallenger = challengerPairs.contains { $0.reference == index }
                if isConfirmed { confirmed += 1 }
                let key = review.schoolID + "\u{0}" + review.reviewer
                var reviewer = byReviewer[key] ?? Reviewer(schoolID: review.schoolID, reviewer: review.reviewer, champion: Judged(), challenger: Judged())
                if inChampion {
                    lessonChampion.add(review.verdict)
                    reviewer.champion.add(review.verdict)
                    if isConfirmed { foundByChampion += 1 }
                }
                if inChallenger {
                    lessonChallenger.add(review.verdict)
                    reviewer.challenger.add(review.verdict)
                    if isConfirmed { foundByChallenger += 1 }
                }
                byReviewer[key] = reviewer
            }
            champion.add(lessonChampion)
            challengerJudged.add(lessonChallenger)
            if let a = lessonChampion.precision, let b = lessonChallenger.precision {
                pairedPrecision.champion.append(a)
                pairedPrecision.challenger.append(b)
            }
        }
        self.reviewedLessons = reviewedLessons
        confirmedIncidents = confirmed
        confirmedFoundByChampion = foundByChampion
        confirmedFoundByChallenger = foundByChallenger
        self.champion = champion
        self.challengerJudged = challengerJudged
        precision = PairedComparison(champion: pairedPrecision.champion, challenger: pairedPrecision.challenger)
        reviewers = byReviewer.values.sorted { $0.reviewer < $1.reviewer }
    }
}

extension ShadowComparison {
    /// The comparison as one school's admin may see it: the installation-wide figures, and
    /// of the reviewers only the school's own.
    public func seen(by schoolID: String) -> ShadowComparison {
        var seen = self
        seen.reviewers = reviewers.filter { $0.schoolID == schoolID }
        return seen
    }

    /// The latest shadow run (running or stopped) and its comparison, if there has been one.
    public static func latest(from store: any ShadowStore & ReviewStore) async throws -> (run: ShadowRun, comparison: ShadowComparison)? {
        guard let run = try await store.shadowRuns(limit: 1).first else { return nil }
        let results = try await store.shadowResults(challenger: run.name)
        // The verdicts of each school once, not a query per lesson.
        var reviews: [String: [IncidentReview]] = [:]
        for schoolID in Set(results.map(\.schoolID)) {
            for review in try await store.reviews(schoolID: schoolID) { reviews[review.lessonID, default: []].append(review) }
        }
        return (run, ShadowComparison(challenger: run.name, results: results, reviews: reviews))
    }
}
