import CSherpaOnnx
import Foundation

/// Silero VAD (the `silero-vad` wheel's network) run by sherpa-onnx's C API.
public final class SileroVoiceActivityDetector: VoiceActivityDetecting {
    public struct Settings: Codable, Sendable, Hashable {
        /// Speech probability above which a 32 ms window counts as speech.
        public var threshold: Float = 0.5
        /// Silence that closes a segment; shorter pauses stay inside it.
        public var minSilenceSeconds: Float = 0.25
        /// Segments shorter than this are dropped as clicks and breaths.
        public var minSpeechSeconds: Float = 0.25
        /// Longer speech is split (with a raised threshold) so no segment grows without bound.
        public var maxSpeechSeconds: Float = 20
        public init() {}
    }

    private let detector: OpaquePointer
    private static let windowSize = 512

    public init(modelPath: String, settings: Settings = Settings()) throws {
        // sherpa-onnx calls exit() on a model it cannot use, so check the file first.
        try ModelFileCheck.requireONNX(at: modelPath, purpose: "silero VAD")
        var config = SherpaOnnxVadModelConfig()
        let created: OpaquePointer? = modelPath.withCString { model in
            "cpu".withCString { provider in
                config.silero_vad.model = model
                config.silero_vad.threshold = settings.threshold
                config.silero_vad.min_silence_duration = settings.minSilenceSeconds
                config.silero_vad.min_speech_duration = settings.minSpeechSeconds
                config.silero_vad.max_speech_duration = settings.maxSpeechSeconds
                config.silero_vad.window_size = Int32(Self.windowSize)
                config.sample_rate = Int32(AudioFormat.sampleRate)
                config.num_threads = 1
                config.provider = provider
                return SherpaOnnxCreateVoiceActivityDetector(&config, 60)
            }
        }
        guard let created else { throw ModelError.unusable(modelPath, reason: "sherpa-onnx could not create the VAD") }
        detector = created
    }

    deinit { SherpaOnnxDestroyVoiceActivityDetector(detector) }

    public func accept(_ chunk: AudioChunk) -> [SpeechSegment] {
        // sherpa-onnx segments correctly only when fed one model window per call: with
        // larger blocks it merges or drops segments (measured: a 10 s block lost 9 s of speech).
        var segments: [SpeechSegment] = []
        chunk.samples.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = min(Self.windowSize, buffer.count - offset)
                SherpaOnnxVoiceActivityDetectorAcceptWaveform(detector, buffer.baseAddress! + offset, Int32(count))
                offset += count
                segments += drain()
            }
        }
        return segments
    }

    public func finish() -> [SpeechSegment] {
        SherpaOnnxVoiceActivityDetectorFlush(detector)
        return drain()
    }

    private func drain() -> [SpeechSegment] {
        var segments: [SpeechSegment] = []
        while SherpaOnnxVoiceActivityDetectorEmpty(detector) == 0 {
            if let front = SherpaOnnxVoiceActivityDetectorFront(detector) {
                let count = Int(front.pointee.n)
                let samples = Array(UnsafeBufferPointer(start: front.pointee.samples, count: count))
                segments.append(SpeechSegment(startSample: Int(front.pointee.start), samples: samples))
                SherpaOnnxDestroySpeechSegment(front)
            }
            SherpaOnnxVoiceActivityDetectorPop(detector)
        }
        return segments
    }
}
