import EdControlEngine
import Foundation

enum Audio {
    static let rate = Double(AudioFormat.sampleRate)

    static let frameSamples = AudioFormat.sampleRate / 100

    static func silence(_ seconds: Double) -> [Float] { [Float](repeating: 0, count: Int(seconds * rate)) }

    /// Drops leading and trailing near-silence (10-ms frames below −50 dBFS, or also below
    /// the noise floor + 10 dB if `aboveNoiseFloor`; see `speechThreshold`).
    static func trimSilence(_ samples: [Float], aboveNoiseFloor: Bool) -> [Float] {
        let active = activeFrames(samples, aboveNoiseFloor: aboveNoiseFloor)
        guard let first = active.firstIndex(of: true), let last = active.lastIndex(of: true) else { return [] }
        return Array(samples[(first * frameSamples)..<min(samples.count, (last + 1) * frameSamples)])
    }

    /// Speech spans of a clean utterance placed at `offset` seconds: frames above −50 dBFS (and
    /// the noise floor + 10 dB if `aboveNoiseFloor`), joined across pauses shorter than the
    /// NIST bridge. This is the exact ground truth.
    static func speechSpans(_ samples: [Float], offset: Double, aboveNoiseFloor: Bool,
                            bridge: Double = SpeakerTurn.pauseBridgeSeconds) -> [TimeSpan] {
        let active = activeFrames(samples, aboveNoiseFloor: aboveNoiseFloor)
        var spans: [TimeSpan] = []
        var index = 0
        while index < active.count {
            guard active[index] else { index += 1; continue }
            var end = index
            while end < active.count && active[end] { end += 1 }
            let span = TimeSpan(start: offset + Double(index) / 100, end: offset + Double(end) / 100)
            if let last = spans.last, span.start - last.end < bridge {
                spans[spans.count - 1].end = span.end
            } else {
                spans.append(span)
            }
            index = end
        }
        return spans
    }

    /// Whether each 10-ms frame carries speech (see `speechSpans`).
    static func activeFrames(_ samples: [Float], aboveNoiseFloor: Bool) -> [Bool] {
        let energies = frameEnergies(samples)
        let threshold = aboveNoiseFloor ? speechThreshold(energies) : 1e-5
        return energies.map { $0 > threshold }
    }

    /// Mean square of each 10-ms frame.
    private static func frameEnergies(_ samples: [Float]) -> [Float] {
        stride(from: 0, to: samples.count, by: frameSamples).map { start in
            let slice = samples[start..<min(samples.count, start + frameSamples)]
            return slice.reduce(0) { $0 + $1 * $1 } / Float(slice.count)
        }
    }

    /// −50 dBFS, or 10 dB above the recording's own noise floor (its quietest tenth of frames,
    /// digital silence left out) when that is higher: some packaged clips carry noise at
    /// −40 dBFS through their pauses, which are not speech. (The classic lessons keep the fixed
    /// −50 dBFS, so their truth stays as it was.)
    private static func speechThreshold(_ energies: [Float]) -> Float {
        let sounding = energies.filter { $0 > 0 }.sorted()
        let floor = sounding.isEmpty ? 0 : sounding[sounding.count / 10]
        return max(1e-5, 10 * floor) // 1e-5: −50 dBFS as mean square
    }

    /// 16-bit PCM mono WAV.
    static func wav(_ samples: [Float]) -> Data {
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        let bytes = UInt32(samples.count * 2)
        data.append(contentsOf: Array("RIFF".utf8)); append(36 + bytes)
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(UInt16(1)); append(UInt16(1))
        append(UInt32(AudioFormat.sampleRate)); append(UInt32(AudioFormat.sampleRate * 2)); append(UInt16(2)); append(UInt16(16))
        data.append(contentsOf: Array("data".utf8)); append(bytes)
        data.reserveCapacity(data.count + samples.count * 2)
        for sample in samples { append(Int16(max(-1, min(1, sample)) * 32767)) }
        return data
    }
}
