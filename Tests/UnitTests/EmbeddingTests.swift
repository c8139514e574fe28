@testable import EdControlTestSupport
@testable import EdControlEngine
import Foundation
import Testing

@Suite("GE2E speaker embeddings")
struct EmbeddingTests {
    private func decode(_ path: String) throws -> [Float] {
        var samples: [Float] = []
        try FFmpegAudioDecoder().decode(URL(fileURLWithPath: path), chunkSeconds: 30) { samples += $0.samples }
        return samples
    }

    private func embedder() throws -> GE2ESpeakerEmbedder {
        let registry = try Fixtures.registry()
        return try GE2ESpeakerEmbedder(weightsURL: URL(fileURLWithPath: try registry.path(of: "ge2e-resemblyzer")))
    }

    /// The Swift encoder must reproduce Resemblyzer's pipeline (librosa mel + torch LSTM,
    /// here its numpy transcription reading the original checkpoint) to cosine ≥ 0.999.
    @Test func matchesTheReferenceImplementation() throws {
        let files = Array(Fixtures.librivox.prefix(2)) + ["/usr/share/ktuberling/sounds/ru/ball.ogg"]
        let result = try Fixtures.run(Fixtures.python, [Fixtures.repository.appendingPathComponent("scripts/models/ge2e_reference.py").path,
                                                        "--wheels", Fixtures.wheels, "--rate", "1.25"] + files)
        #expect(result.status == 0, "reference script failed: \(result.stderr)")
        let reference = try JSONDecoder().decode([String: [Float]].self, from: Data(result.stdout.utf8))
        let model = try embedder()
        for file in files {
            let ours = model.embedUtterance(try decode(file))
            let theirs = try #require(reference[URL(fileURLWithPath: file).lastPathComponent])
            let cosine = ours.dot(theirs)
            #expect(cosine >= 0.999, "\(file): cosine \(cosine)")
        }
    }

    @Test func melFiltersMatchSlaneyDefinition() {
        let filters = MelSpectrogram.slaneyFilters(sampleRate: 16_000, fftLength: 400, bandCount: 40)
        #expect(filters.count == 40 * 201)
        // Slaney normalisation: each triangle's area (in Hz) is 1, so each row sums to ≈ 1/40 Hz-bin width × …
        // simpler invariant: every band has weight, and bands are ordered by centre frequency.
        let centres = (0..<40).map { band in (0..<201).max { filters[band * 201 + $0] < filters[band * 201 + $1] }! }
        #expect(centres == centres.sorted())
        #expect((0..<40).allSatisfy { band in (0..<201).contains { filters[band * 201 + $0] > 0 } })
        #expect(abs(MelSpectrogram.melToHertz(MelSpectrogram.hertzToMel(3456)) - 3456) < 1e-6)
        #expect(abs(MelSpectrogram.hertzToMel(1000) - 15) < 1e-9)
    }

    @Test func sameReaderIsCloserThanDifferentVoices() throws {
        let model = try embedder()
        let reader = try Fixtures.librivox.prefix(2).map { model.embedUtterance(try decode($0)) }
        let dir = try Fixtures.temporaryDirectory()
        let synthetic = dir.appendingPathComponent("voice.wav")
        try Fixtures.run("espeak-ng", ["-v", "ru+f4", "-p", "90", "-w", synthetic.path, "Сегодня мы разберём решение квадратных уравнений у доски"])
        let other = model.embedUtterance(try decode(synthetic.path))
        let same = reader[0].dot(reader[1])
        #expect(same > 0.8, "one LibriVox reader: \(same)")
        #expect(reader[0].dot(other) < same - 0.15, "different voices must be clearly less similar")
    }

    @Test func partialWindowsFollowResemblyzer() throws {
        let model = try embedder()
        // 3 s at rate 1.25: frames = ceil(48001/160) = 301, step 80 → starts 0, 80, 160;
        // the last covers (48000 − 160·160)/25600 = 0.875 ≥ 0.75, so it stays.
        #expect(model.partialWindows(sampleCount: 48_000).map(\.lowerBound) == [0, 80, 160])
        #expect(model.partialWindows(sampleCount: 8_000).count == 1, "short audio still gets one window")
    }
}
