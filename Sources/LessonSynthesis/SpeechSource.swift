import EdControlEngine
import Foundation

/// Produces utterances (16 kHz mono samples) in a given voice.
final class SpeechSource {
    let voice: Voice
    let scratch: URL
    /// Clips come from Debian's packages, some of them GSM (not an upload's format).
    private let decoder = FFmpegAudioDecoder(anyFormat: true)
    /// Synthesised sentences and decoded clips, by how they were made: a lesson repeats
    /// them, and running espeak-ng and ffmpeg again for each would dominate the run time.
    private var cache: [String: [Float]] = [:]

    /// The recorded voice's clips not yet found undecodable.
    private var clipFiles: [String]

    /// Whether speech is told from the clips' own noise floor (`Audio.speechThreshold`).
    let aboveNoiseFloor: Bool

    init(voice: Voice, scratch: URL, aboveNoiseFloor: Bool) {
        self.voice = voice
        self.scratch = scratch
        self.aboveNoiseFloor = aboveNoiseFloor
        if case .recorded(let speaker) = voice { clipFiles = speaker.files() } else { clipFiles = [] }
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
            return try synthesise(text, voice: name, pitch: pitch, rate: rate, amplitude: amplitude)
        case .recorded:
            let clip = try anyClip(&random)
            // A random 2–6 s stretch, so turns vary in length.
            let length = min(clip.count, Int(Double(AudioFormat.sampleRate) * (2 + 4 * random.nextUnit())))
            let start = clip.count > length ? random.next(below: clip.count - length) : 0
            return Array(clip[start..<(start + length)])
        }
    }

    /// `count` utterances separated by pauses drawn from `pauses` (seconds).
    func turn(of count: Int, pauses: ClosedRange<Double>, raised: Bool = false, _ random: inout SeededRandom) throws -> [Float] {
        var turn: [Float] = []
        for index in 0..<count {
            if index > 0 { turn += Audio.silence(random.uniform(pauses.lowerBound, pauses.upperBound)) }
            turn += try utterance(&random, raised: raised)
        }
        return turn
    }

    /// A listener's short reply said while someone else talks ("mm", "yes", "да"): a word
    /// for synthetic voices; for recordings the first word of a clip (speech up to its first
    /// pause), or its first 0.3–0.9 s, faded out, when the first word runs longer.
    func backchannel(_ random: inout SeededRandom) throws -> [Float] {
        switch voice {
        case .synthetic(let name, let pitch, let speed):
            let words = voice.language == "ru" ? ["да", "угу", "ага", "так"] : ["yes", "mm hm", "okay", "right"]
            return try synthesise(words[random.next(below: words.count)], voice: name, pitch: pitch, rate: speed, amplitude: 100)
        case .recorded:
            let clip = try anyClip(&random)
            let firstWord = Audio.speechSpans(clip, offset: 0, aboveNoiseFloor: aboveNoiseFloor, bridge: 0.12).first.map { Int($0.end * Audio.rate) } ?? clip.count
            let longest = Int(random.uniform(0.3, 0.9) * Audio.rate)
            var word = Array(clip.prefix(firstWord <= Int(1.2 * Audio.rate) ? firstWord : longest))
            let fade = min(word.count, Int(0.03 * Audio.rate))
            for i in 0..<fade { word[word.count - 1 - i] *= Float(i) / Float(fade) }
            return word
        }
    }

    /// A whole clip of a recorded voice, chosen by seed. Some packaged clips do not decode
    /// (a few GSM prompts are truncated): those are dropped and another is chosen.
    private func anyClip(_ random: inout SeededRandom) throws -> [Float] {
        while !clipFiles.isEmpty {
            let index = random.next(below: clipFiles.count)
            let path = clipFiles[index]
            if let cached = cache[path] { return cached }
            if let clip = try? decode(URL(fileURLWithPath: path)), clip.count >= Int(0.2 * Audio.rate) {
                cache[path] = clip
                return clip
            }
            clipFiles.remove(at: index)
        }
        throw GeneratorError("no usable recordings for \(voice); install its Debian package (scripts/setup.sh --with-test-tools)")
    }

    private func synthesise(_ text: String, voice name: String, pitch: Int, rate: Int, amplitude: Int) throws -> [Float] {
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
    }

    private func decode(_ url: URL) throws -> [Float] {
        var samples: [Float] = []
        try decoder.decode(url, chunkSeconds: 30) { samples += $0.samples }
        return Audio.trimSilence(samples, aboveNoiseFloor: aboveNoiseFloor)
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
