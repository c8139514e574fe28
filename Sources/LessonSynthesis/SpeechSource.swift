import EdControlCore
import Foundation

/// Produces utterances (16 kHz mono samples) in a given voice.
final class SpeechSource {
    let voice: Voice
    let scratch: URL
    private let decoder = FFmpegAudioDecoder()
    /// Synthesised sentences and decoded clips, by how they were made: a lesson repeats
    /// them, and running espeak-ng and ffmpeg again for each would dominate the run time.
    private var cache: [String: [Float]] = [:]

    init(voice: Voice, scratch: URL) {
        self.voice = voice
        self.scratch = scratch
    }

    /// One utterance: a sentence for synthetic voices, a clip or part of one for recordings.
    /// A `raised` synthetic utterance is shouted: higher (+25 pitch), faster and at twice
    /// espeak-ng's amplitude.
    func utterance(_ random: inout SeededRandom, raised: Bool = false) throws -> [Float] {
        switch voice {
        case .synthetic(let name, let basePitch, let speed):
            let phrases = voice.language == "ru" ? Phrases.russian : Phrases.english
            let text = phrases[random.next(below: phrases.count)]
            let rate = speed + 5 * (random.next(below: 5) - 2) + (raised ? 20 : 0)
            let pitch = min(99, basePitch + (raised ? 25 : 0))
            let amplitude = raised ? 200 : 100
            let key = "\(name)|\(pitch)|\(rate)|\(amplitude)|\(text)"
            if let cached = cache[key] { return cached }
            let file = scratch.appendingPathComponent("espeak-\(UUID().uuidString).wav")
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try Process.runTool("espeak-ng", ["-v", name, "-p", String(pitch), "-s", String(rate),
                                                            "-a", String(amplitude), "-w", file.path, text])
            guard result == 0 else { throw GeneratorError("espeak-ng failed for voice \(name); is espeak-ng installed?") }
            let samples = try decode(file)
            cache[key] = samples
            return samples
        case .recorded(_, let files):
            let path = files[random.next(below: files.count)]
            let clip = try cache[path] ?? decode(URL(fileURLWithPath: path))
            cache[path] = clip
            // A random 2–6 s stretch, so turns vary in length.
            let length = min(clip.count, Int(Double(AudioFormat.sampleRate) * (2 + 4 * random.nextUnit())))
            let start = clip.count > length ? random.next(below: clip.count - length) : 0
            return Array(clip[start..<(start + length)])
        }
    }

    private func decode(_ url: URL) throws -> [Float] {
        var samples: [Float] = []
        try decoder.decode(url, chunkSeconds: 30) { samples += $0.samples }
        return Audio.trimSilence(samples)
    }
}

struct GeneratorError: Error, CustomStringConvertible, LocalizedError {
    var description: String
    init(_ description: String) { self.description = description }
    var errorDescription: String? { description }
}

extension Process {
    /// Runs a tool from PATH with its output discarded; returns its exit status.
    static func runTool(_ name: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Deterministic pseudo-random numbers (SplitMix64), so a seed always gives the same lesson.
public struct SeededRandom: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    public mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next(below bound: Int) -> Int { Int(nextUInt64() % UInt64(max(1, bound))) }

    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(nextUInt64() >> 11) / Double(1 << 53) }

    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * nextUnit() }
}
