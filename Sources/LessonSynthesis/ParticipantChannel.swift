import EdControlEngine
import Foundation

/// How one participant's voice reaches the recording of an online lesson: how loud they are,
/// the room their microphone hears, the microphone's noise and the codec of their connection.
/// Applied to the participant's own track before the tracks are mixed, as a video call does.
public struct ParticipantChannel: Sendable, Codable, Equatable {
    public enum Codec: String, Sendable, Codable, CaseIterable {
        /// Wideband and uncompressed (a participant in the room where it is recorded).
        case none
        /// Opus in VoIP mode, as video-call apps send speech.
        case opus16 = "opus-16k", opus24 = "opus-24k"
        case aac = "aac-32k"
        /// A dial-in participant: 300–3400 Hz, G.711 μ-law at 8 kHz.
        case telephone = "g711-8k"
    }

    /// Speech level relative to the teacher's (students are up to 20 dB quieter).
    public var gainDB: Double
    /// Reverberation time (RT60) of the participant's room; 0 for a headset.
    public var reverbSeconds: Double
    /// The microphone's own noise floor, present for the whole lesson.
    public var noiseDBFS: Double
    public var codec: Codec

    /// The teacher's speech level (RMS while speaking); everyone else's is set against it.
    static let teacherSpeechDBFS = -23.0

    /// A channel drawn by seed: most participants on Opus, some on AAC, a few dialling in
    /// by telephone or in the room; half in a reverberant room; students 0–20 dB quieter;
    /// microphone noise 5–20 dB under `noiseDBFS` (call apps suppress most of it, and it adds
    /// up over the participants).
    static func random(forTeacher teacher: Bool, noiseDBFS: Double, _ random: inout SeededRandom) -> ParticipantChannel {
        let codecs: [(Codec, Double)] = [(.none, 0.15), (.opus16, 0.25), (.opus24, 0.3), (.aac, 0.2), (.telephone, 0.1)]
        var draw = random.nextUnit(), codec = Codec.opus24
        for (candidate, share) in codecs {
            if draw < share { codec = candidate; break }
            draw -= share
        }
        return ParticipantChannel(gainDB: teacher ? 0 : random.uniform(-20, 0),
                                  reverbSeconds: random.nextUnit() < 0.5 ? random.uniform(0.2, 0.6) : 0,
                                  noiseDBFS: random.uniform(noiseDBFS - 20, noiseDBFS - 5), codec: codec)
    }

    /// The participant's track as the recording hears it. `speech` is the track's clean
    /// speech (the participant's utterances in place, silence elsewhere).
    func apply(to speech: [Float], seed: UInt64, scratch: URL) throws -> [Float] {
        var random = SeededRandom(seed: seed)
        let speaking = Self.speechFrames(speech)
        let target = Float(pow(10, (Self.teacherSpeechDBFS + gainDB) / 20))
        var track = Self.scaled(speech, toRMS: target, over: speaking)
        let noise = Float(pow(10, noiseDBFS / 20) * 3.0.squareRoot()) // uniform noise RMS = a/√3
        for i in track.indices { track[i] += noise * Float(random.nextUnit() * 2 - 1) }

        // ffmpeg convolves with the room (afir) and runs the codec both ways; FFT convolution
        // of minutes of audio with a 0.6-s response is too slow to hand-write here.
        let id = UUID().uuidString
        let input = scratch.appendingPathComponent("channel-\(id).f32"), response = scratch.appendingPathComponent("room-\(id).f32")
        let output = scratch.appendingPathComponent("channel-\(id).\(fileExtension)")
        defer { for file in [input, response, output] { try? FileManager.default.removeItem(at: file) } }
        try Self.raw(track).write(to: input)
        var arguments = ["-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", String(AudioFormat.sampleRate), "-ac", "1", "-i", input.path]
        var filters: [String] = []
        if reverbSeconds > 0 {
            try Self.raw(Self.roomResponse(rt60: reverbSeconds, &random)).write(to: response)
            arguments += ["-f", "f32le", "-ar", String(AudioFormat.sampleRate), "-ac", "1", "-i", response.path]
            filters.append("[0:a][1:a]afir=gtype=none")
        }
        if codec == .telephone { filters.append((filters.isEmpty ? "[0:a]" : "") + "highpass=f=300,lowpass=f=3400") }
        if !filters.isEmpty { arguments += ["-filter_complex", filters.joined(separator: ",")] }
        arguments += encoderArguments + [output.path]
        guard try Process.runTool("ffmpeg", arguments) == 0 else {
            throw GeneratorError("ffmpeg could not apply the \(codec.rawValue) channel; is ffmpeg (with libopus) installed?")
        }
        var heard: [Float] = []
        heard.reserveCapacity(track.count)
        try FFmpegAudioDecoder().decode(output, chunkSeconds: 30) { heard += $0.samples }
        // Codecs pad the end a little: the track keeps its length, so times stay exact.
        if heard.count < track.count { heard += [Float](repeating: 0, count: track.count - heard.count) }
        // The band limit and the codec change the level: set it again where the person speaks.
        return Self.scaled(Array(heard.prefix(track.count)), toRMS: target, over: speaking)
    }

    private var fileExtension: String {
        switch codec {
        case .none, .telephone: return "wav"
        case .opus16, .opus24: return "ogg"
        case .aac: return "m4a"
        }
    }

    private var encoderArguments: [String] {
        switch codec {
        case .none: return ["-c:a", "pcm_f32le"]
        case .opus16: return ["-c:a", "libopus", "-b:a", "16k", "-application", "voip"]
        case .opus24: return ["-c:a", "libopus", "-b:a", "24k", "-application", "voip"]
        case .aac: return ["-c:a", "aac", "-b:a", "32k"]
        case .telephone: return ["-ar", "8000", "-c:a", "pcm_mulaw"]
        }
    }

    /// A small room's impulse response: the direct sound, then reflections as noise decaying
    /// by 60 dB over `rt60` seconds, about as loud in all as the direct sound; unit energy,
    /// so the level set before stays.
    static func roomResponse(rt60: Double, _ random: inout SeededRandom) -> [Float] {
        let count = Int(rt60 * Audio.rate)
        let firstReflection = Int(0.004 * Audio.rate)
        var response = [Float](repeating: 0, count: count)
        response[0] = 1
        let decayPerSample = log(1000.0) / (rt60 * Audio.rate) // amplitude falls 1000× (60 dB) over rt60
        for i in firstReflection..<count {
            response[i] = Float(exp(-decayPerSample * Double(i)) * (random.nextUnit() * 2 - 1))
        }
        let tailEnergy = response.dropFirst().reduce(0) { $0 + $1 * $1 }
        let tailScale = tailEnergy > 0 ? 1 / tailEnergy.squareRoot() : 0
        for i in 1..<count { response[i] *= tailScale }
        let energy = response.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return response.map { $0 / energy }
    }

    /// The 10-ms frames that carry speech (above −50 dBFS).
    static func speechFrames(_ samples: [Float]) -> [Range<Int>] {
        Audio.activeFrames(samples, aboveNoiseFloor: false).enumerated().filter(\.element)
            .map { ($0.offset * Audio.frameSamples)..<min(samples.count, ($0.offset + 1) * Audio.frameSamples) }
    }

    /// `samples` scaled so that their RMS over `frames` is `target`.
    static func scaled(_ samples: [Float], toRMS target: Float, over frames: [Range<Int>]) -> [Float] {
        let energy = frames.reduce(Float(0)) { sum, range in samples[range].reduce(sum) { $0 + $1 * $1 } }
        let count = frames.reduce(0) { $0 + $1.count }
        guard energy > 0, count > 0 else { return samples }
        let gain = target / (energy / Float(count)).squareRoot()
        return samples.map { $0 * gain }
    }

    private static func raw(_ samples: [Float]) -> Data { samples.withUnsafeBufferPointer { Data(buffer: $0) } }
}
