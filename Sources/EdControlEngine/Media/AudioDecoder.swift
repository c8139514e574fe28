import Foundation

/// A run of consecutive mono samples at `AudioFormat.sampleRate`, starting at `startSample`.
public struct AudioChunk: Sendable {
    public var startSample: Int
    public var samples: [Float]
}

public enum AudioFormat {
    /// Every model in the pipeline works on 16 kHz mono.
    public static let sampleRate = 16_000
}

/// Streams a recording's audio as 16 kHz mono chunks, so a three-hour lesson never
/// has to fit in memory at once.
public protocol AudioDecoding: Sendable {
    func decode(_ url: URL, chunkSeconds: Double, onChunk: (AudioChunk) throws -> Void) throws
}

extension AudioDecoding {
    /// The whole recording's samples at once: for clips, not lessons (a 45-minute lesson is 170 MB of samples).
    public func samples(of url: URL) throws -> [Float] {
        var samples: [Float] = []
        try decode(url, chunkSeconds: 30) { samples += $0.samples }
        return samples
    }
}

/// Decodes with the ffmpeg CLI into a pipe of 16-bit PCM.
public struct FFmpegAudioDecoder: AudioDecoding {
    private let inputOptions: [String]

    /// Reads only the containers of `AcceptedFormats`; `anyFormat` lifts that for files the
    /// system ships or the program made itself (the test voices' GSM prompts).
    public init(anyFormat: Bool = false) {
        inputOptions = anyFormat ? [] : AcceptedFormats.recordings.commandLineOptions
    }

    public func decode(_ url: URL, chunkSeconds: Double = 10, onChunk: (AudioChunk) throws -> Void) throws {
        let bytesPerChunk = max(1, Int(chunkSeconds * Double(AudioFormat.sampleRate))) * 2
        var position = 0
        let result = try ExternalTool(name: "ffmpeg").stream([
            "-nostdin", "-hide_banner", "-v", "error"] + inputOptions + ["-i", AcceptedFormats.commandLineInput(url),
            "-map", "0:a:0", "-vn", "-ac", "1", "-ar", String(AudioFormat.sampleRate),
            "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1",
        ], blockBytes: bytesPerChunk) { block in
            let chunk = Self.chunk(from: block, start: position)
            position += chunk.samples.count
            if !chunk.samples.isEmpty { try onChunk(chunk) }
        }
        if result.status != 0 {
            throw MediaError.undecodable(url.path, detail: FFprobe.explain(result.stderr))
        }
    }

    private static func chunk(from data: Data, start: Int) -> AudioChunk {
        let count = data.count / 2
        var samples = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let pcm = raw.bindMemory(to: Int16.self)
            for i in 0..<count { samples[i] = Float(Int16(littleEndian: pcm[i])) / 32768 }
        }
        return AudioChunk(startSample: start, samples: samples)
    }
}
