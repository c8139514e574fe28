import EdControlStorage
@testable import EdControlTestSupport
import EdControlEngine
import EdControlLab
@testable import EdControlService
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Drift monitoring: the features of a real analysis, the drift between two windows of a
/// real SQLite store through the API and the Model health page, and erasure taking a
/// lesson's features with it.
@Suite("Drift monitoring")
struct DriftTests {
    /// A LibriVox reading analysed for real: audio features present, video ones absent.
    @Test func featuresComeFromTheReport() throws {
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(URL(fileURLWithPath: Fixtures.librivox[0]))
        let features = LessonFeatures(report)
        #expect(features.numbers["speakerCount"] == Double(report.speakers.count))
        #expect(abs((features.numbers["speechShare"] ?? -1) - (1 - report.talkMetrics.silencePercent / 100)) < 1e-12)
        #expect((features.numbers["loudnessLUFS"] ?? 0) < -10 && (features.numbers["pitchHz"] ?? 0) > 60, "\(features.numbers)")
        if let floor = report.voice.noiseFloorLUFS { #expect(features.numbers["snrDB"] == features.numbers["loudnessLUFS"]! - floor) }
        #expect(features.numbers["facesPerFrame"] == nil && features.numbers["videoHeight"] == nil, "no video: no video features, not zeros")
        #expect(features.categories == ["audioCodec": report.input.media.audio[0].codec, "videoCodec": "none"])
    }

    /// `count` lessons' features: speech share around `speech`, the given audio codec.
    private func lessons(_ count: Int, speech: Double, codec: String) -> [LessonFeatures] {
        (0..<count).map { (index: Int) -> LessonFeatures in
            let i = Double(index)
            let numbers: [String: Double] = ["speechShare": speech + 0.01 * Double(index % 5), "speakerCount": Double(2 + index % 3),
                                             "durationSeconds": 1800 + 60 * i]
            return LessonFeatures(numbers: numbers, categories: ["audioCodec": codec, "videoCodec": "h264"])
        }
    }

    @Test func driftIsFlaggedPastTheThresholdAndOnlyThere() {
        let report = DriftReport(reference: lessons(20, speech: 0.7, codec: "aac"), current: lessons(20, speech: 0.4, codec: "opus"),
                                 referenceLabel: "a", currentLabel: "b")
        #expect(report.alerts == ["speechShare", "audioCodec"], "\(report.alerts)")
        let speech = report.features.first { $0.name == "speechShare" }!
        let expected = PopulationStabilityIndex.compute(reference: lessons(20, speech: 0.7, codec: "aac").map { $0.numbers["speechShare"]! },
                                                        current: lessons(20, speech: 0.4, codec: "opus").map { $0.numbers["speechShare"]! },
                                                        bins: 4)!  // 20 lessons a window: a fifth of them, 4 bins
        #expect(speech.psi == expected.value && speech.kolmogorovSmirnov?.pValue ?? 1 < 0.001)
        #expect(report.features.first { $0.name == "speakerCount" }?.alert == false, "the same spread of speakers")
        #expect(report.features.first { $0.name == "videoHeight" }?.note?.contains("too few lessons") == true)
        // Twelve lessons a window, shifted by less than their spread: PSI passes 0.2 on two bins,
        // but Kolmogorov–Smirnov does not call it a difference, so there is no alert.
        func spread(_ base: Double) -> [LessonFeatures] {
            (0..<12).map { (index: Int) -> LessonFeatures in
                LessonFeatures(numbers: ["speechShare": base + 0.01 * Double(index)], categories: [:])
            }
        }
        let small = DriftReport(reference: spread(0.5), current: spread(0.53), referenceLabel: "a", currentLabel: "b")
        let slight = small.features.first { $0.name == "speechShare" }!
        #expect((slight.psi ?? 0) > 0.2 && (slight.kolmogorovSmirnov?.pValue ?? 0) > 0.05 && !slight.alert && slight.bins?.count == 2, "\(slight)")
        let same = DriftReport(reference: lessons(20, speech: 0.7, codec: "aac"), current: lessons(20, speech: 0.7, codec: "aac"),
                               referenceLabel: "a", currentLabel: "b")
        #expect(same.alerts.isEmpty && same.features.first { $0.name == "speechShare" }?.psi == 0)
    }

    @Test func theAPIAndThePageCompareTwoPeriodsOfTheSchoolsLessons() async throws {
        let admin = try await RouterInstallation("drift", role: .admin)
        let service = LessonService(store: admin.store, files: LocalFolderFiles(admin.data))
        let day = 86400.0, start = try DriftMonitor.window("2026-10-01..2026-10-01").start
        var ids: [String] = []
        for (index, features) in (lessons(8, speech: 0.7, codec: "aac") + lessons(8, speech: 0.35, codec: "opus")).enumerated() {
            let lesson = try await service.upload(file: URL(fileURLWithPath: Fixtures.librivox[0]), details: .init(title: nil, originalFilename: "l.wav", teacherID: nil, recordedAt: nil), by: admin.caller)
            // October's first eight lessons, then November's.
            let analysedAt = start.addingTimeInterval(index < 8 ? Double(index) * day : 31 * day + Double(index) * day)
            try await admin.store.saveFeatures(features, lessonID: lesson.lesson.id, schoolID: admin.caller.schoolID, analysedAt: analysedAt)
            ids.append(lesson.lesson.id)
        }
        let manager = try await admin.store.createToken(schoolID: admin.caller.schoolID, name: "manager", role: .manager, expiresAt: nil).secret
        let query = "reference=2026-10-01..2026-10-31&current=2026-11-01..2026-11-30"

        try await admin.application().test(.router) { client in
            let answer = try await client.execute(uri: "/api/v1/monitoring/drift?\(query)", method: .get, headers: admin.bearer)
            #expect(answer.status == .ok)
            let drift = try JSONDecoder().decode(DriftReport.self, from: Data(buffer: answer.body))
            #expect(drift.reference.lessons == 8 && drift.current.lessons == 8 && drift.alerts == ["speechShare", "audioCodec"], "\(drift.alerts)")
            let page = String(buffer: try await client.execute(uri: "/monitoring?\(query)", method: .get, headers: admin.bearer).body)
            #expect(page.contains(#"id="drift-alerts""#) && page.contains("share of speech, audio codec"), "feature names in words, not camelCase")
            var russian = admin.bearer
            russian[.acceptLanguage] = "ru"
            let inRussian = String(buffer: try await client.execute(uri: "/monitoring?\(query)", method: .get, headers: russian).body)
            #expect(inRussian.contains("доля речи, аудиокодек") && !inRussian.contains("speechShare<") && !inRussian.contains("too few"))
            #expect(page.contains(#"<tr id="feature-speechShare" class="drift-alert">"#) && page.contains(#"<rect class="drift-current""#))
            #expect(page.contains("aac 100→0 %") && !page.contains("<script>"), "categories with their shares")
            let bad = try await client.execute(uri: "/api/v1/monitoring/drift?current=2026-11-31..x", method: .get, headers: admin.bearer)
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("FROM..TO"))
            let refused = try await client.execute(uri: "/api/v1/monitoring/drift", method: .get, headers: [.authorization: "Bearer \(manager)"])
            #expect(refused.status == .forbidden)
        }
        // Erasure takes the lesson's features: they were derived from its recording.
        try await service.erase(ids[8], by: admin.caller)
        let november = try DriftMonitor.window("2026-11-01..2026-11-30")
        #expect(try await admin.store.features(schoolID: admin.caller.schoolID, analysedIn: november).count == 7)
    }
}
