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

/// Decodes with the ffmpeg CLI into a pipe of 16-bit PCM.
public struct FFmpegAudioDecoder: AudioDecoding {
    public init() {}

    public func decode(_ url: URL, chunkSeconds: Double = 10, onChunk: (AudioChunk) throws -> Void) throws {
        let process = try ExternalTool(name: "ffmpeg").makeProcess([
            "-nostdin", "-hide_banner", "-v", "error", "-i", url.path,
            "-map", "0:a:0", "-vn", "-ac", "1", "-ar", String(AudioFormat.sampleRate),
            "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1",
        ])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = ErrorCollector(err.fileHandleForReading)

        let bytesPerChunk = max(2, Int(chunkSeconds * Double(AudioFormat.sampleRate))) * 2
        var position = 0
        var pending = Data()
        let reader = out.fileHandleForReading
        do {
            while true {
                let data = reader.readData(ofLength: bytesPerChunk - pending.count)
                if data.isEmpty { break }
                pending.append(data)
                if pending.count >= bytesPerChunk {
                    try onChunk(Self.chunk(from: pending, start: position))
                    position += pending.count / 2
                    pending.removeAll(keepingCapacity: true)
                }
            }
            if pending.count >= 2 {
                try onChunk(Self.chunk(from: pending, start: position))
                position += pending.count / 2
            }
        } catch {
            process.terminate()
            process.waitUntilExit()
            _ = errors.wait()
            throw error
        }
        process.waitUntilExit()
        let stderr = errors.wait().trimmingCharacters(in: .whitespacesAndNewlines)
        if process.terminationStatus != 0 {
            throw MediaError.undecodable(url.path, detail: FFprobe.explain(stderr))
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
