import EdControlEngine
import Foundation

// The kit's checks of the model registry and the shadow run, which every server process and
// command line shares through the store.
extension StoreConformance {
    /// Three configurations promoted 8 times at once: the champion log is one chain (each
    /// change names the champion it replaced), the champion is its last change, a rollback
    /// returns to the one before; a shadow run cannot be the champion, a new run replaces
    /// the current one, and stopping it says which stopped.
    static func championChangesFormOneChain(_ store: any EdControlStore) async throws {
        var names: [String] = []
        for index in 0..<3 {
            let name = "conformance-\(index)"
            try await store.register(ConfigurationVersion(name: name, configuration: try configuration(rulesVersion: name), registeredBy: "kit", reason: "kit"))
            names.append(name)
        }
        do {
            try await store.register(ConfigurationVersion(name: names[0], configuration: try configuration(rulesVersion: "other"), registeredBy: "kit", reason: "kit"))
            throw Broken("a second configuration under a registered name is refused")
        } catch is StoreConflict {}
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                let name = names[index % names.count]
                group.addTask { _ = try? await store.promote(name, by: "kit", reason: "race \(index)") }
            }
        }
        let log = try await store.championChanges(limit: 100).sorted { ($0.id ?? 0) < ($1.id ?? 0) }
        try expect(!log.isEmpty && log.first?.previous == nil, "the first promotion replaced no champion")
        for (earlier, later) in zip(log, log.dropFirst()) {
            try expect(later.previous == earlier.name, "each change names the champion before it (\(later.previous ?? "none") after \(earlier.name))")
        }
        let champion = try await store.champion()?.name
        try expect(champion == log.last?.name, "the champion is the last change's")
        if let current = log.last, let previous = current.previous {
            try expect(try await store.rollback(by: "kit", reason: "kit").name == previous, "a rollback returns to the champion before")
        }

        let now = try await store.champion()?.name ?? ""
        let challengers = names.filter { $0 != now }
        do {
            _ = try await store.startShadow(ShadowRun(name: now, share: 0.5, startedBy: "kit"))
            throw Broken("the champion cannot run in the shadow")
        } catch is StoreConflict {}
        _ = try await store.startShadow(ShadowRun(name: challengers[0], share: 0.5, startedBy: "kit"))
        _ = try await store.startShadow(ShadowRun(name: challengers[1], share: 0.25, startedBy: "kit"))
        try expect(try await store.currentShadow()?.name == challengers[1], "a new shadow run replaces the current one")
        try expect(try await store.stopShadow()?.name == challengers[1], "stopping says which run stopped")
        try expect(try await store.currentShadow() == nil, "no run after a stop")
        try expect(try await store.shadowRuns(limit: 10).map(\.name) == [challengers[1], challengers[0]], "runs are listed newest first")
        let (versions, first) = (try await store.configurationVersions(), try await store.configurationVersion(named: names[0]))
        try expect(Set(versions.map(\.name)) == Set(names) && first?.sha256 == (try configuration(rulesVersion: names[0])).sha256,
                   "registered configurations are listed and found by name, unchanged")

        // A shadow analysis's result is stored with its success, and listed by challenger.
        let school = try await newSchool(store, "Shadow")
        let lesson = try await addLesson(to: school, store)
        _ = try await store.cancel(jobID: lesson.id, schoolID: school)
        let queued = try await store.enqueueShadow(lessonID: lesson.lessonID, schoolID: school, configuration: challengers[0], maxAttempts: 3)
        let claimed = try await store.claimNext(workerID: "w", leaseSeconds: 60)
        try expect(queued != nil && claimed?.id == queued?.id && claimed?.kind == .shadow, "the shadow job is claimed")
        let result = ShadowResult(lessonID: lesson.lessonID, schoolID: school, challenger: challengers[0], champion: now, analysedAt: Date(),
                                  championFlag: "ok", challengerFlag: "review", championIncidents: [], challengerIncidents: [])
        try expect(try await store.apply(.succeed(.shadow(result)), jobID: claimed?.id ?? "", workerID: "w"), "the holder's shadow result is recorded")
        try expect(try await store.shadowResults(challenger: challengers[0]).map(\.challengerFlag) == ["review"], "the result is listed by challenger")

        // Experiments are kept whole, newest first (decoded here from what a record holds: the kit runs none).
        for (index, day) in [1.0, 2.0].enumerated() {
            let record = try JSONDecoder().decode(ExperimentRecord.self, from: JSONSerialization.data(withJSONObject: [
                "id": "experiment-\(index)", "createdAt": day * 86400, "createdBy": "kit", "metric": "der", "corpusHash": "c",
                "championHash": "a", "challengerHash": "b", "verdict": "no-difference", "result": "{\"index\": \(index)}",
            ]))
            try await store.saveExperiment(record)
        }
        let experiments = try await store.experiments(limit: 10)
        try expect(experiments.map(\.id) == ["experiment-1", "experiment-0"] && experiments.last?.result == "{\"index\": 0}",
                   "experiments are listed newest first, as saved")
    }

    /// A configuration that differs from others by its incident rules' version (models
    /// pinned to no file: the store keeps documents, it does not run them).
    static func configuration(rulesVersion: String) throws -> AnalysisConfiguration {
        let pin = ["id": "model", "version": "1", "sha256": ""]
        let models = try JSONDecoder().decode(AnalysisConfiguration.Models.self, from: JSONSerialization.data(withJSONObject: [
            "voiceActivity": pin, "speakerSegmentation": pin, "speakerEmbedding": pin, "faceDetection": pin, "facialEmotion": pin,
        ]))
        var rules = IncidentRules()
        rules.version = rulesVersion
        return AnalysisConfiguration(models: models, incidentRules: rules)
    }
}
