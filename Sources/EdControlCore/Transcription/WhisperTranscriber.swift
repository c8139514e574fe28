import CWhisper
import Foundation

/// Whisper run in-process by whisper.cpp (CrispASR 0.8.45's libwhisper.so) on the model
/// converted at setup from the CTranslate2 weights (scripts/models/whisper_ggml.py).
///
/// Decoding is greedy at temperature 0 without fallback and without conditioning on the
/// previous text, blank and non-speech tokens suppressed: the settings under which the
/// converted model was checked against faster-whisper on the original weights. A context
/// holds decoding state, so one transcriber serves one analysis at a time.
public final class WhisperTranscriber: Transcribing {
    public static let modelID = "whisper-base"

    private let context: OpaquePointer
    private let threads: Int32
    public let modelName: String

    /// - Parameter threads: whisper.cpp's own threads (it splits each window's work between them).
    public init(models: ModelRegistry, threads: Int = 2) throws {
        let entry = try models.entry(Self.modelID)
        let path = try models.path(of: Self.modelID)
        // whisper.cpp aborts the process on some malformed files: check the format first.
        try ModelFileCheck.requireGGML(at: path, purpose: "speech-to-text")
        Self.silenceLibraryLog
        var parameters = whisper_context_default_params()
        parameters.use_gpu = false
        guard let context = whisper_init_from_file_with_params(path, parameters) else {
            throw ModelError.unusable(path, reason: "whisper.cpp could not load the speech-to-text model; run scripts/setup.sh again")
        }
        self.context = context
        self.threads = Int32(max(1, threads))
        modelName = "\(entry.id) \(entry.version)"
    }

    deinit { whisper_free(context) }

    /// whisper.cpp logs every model load and window to stderr unless given a logger.
    private static let silenceLibraryLog: Void = whisper_log_set({ _, _, _ in }, nil)

    public func detectLanguage(_ samples: [Float]) throws -> (language: String, probability: Double) {
        let window = Array(samples.prefix(30 * AudioFormat.sampleRate))
        guard whisper_pcm_to_mel(context, window, Int32(window.count), threads) == 0 else {
            throw ModelError.inference("whisper.cpp could not compute the spectrogram for language detection")
        }
        var probabilities = [Float](repeating: 0, count: Int(whisper_lang_max_id()) + 1)
        let id = whisper_lang_auto_detect(context, 0, threads, &probabilities)
        guard id >= 0, let code = whisper_lang_str(id) else { throw ModelError.inference("whisper.cpp could not detect the language") }
        // The 99-language base model gives the last slot to no language: renormalise without it.
        let total = probabilities.prefix(99).reduce(0, +)
        return (String(cString: code), total > 0 ? Double(probabilities[Int(id)] / total) : 0)
    }

    public func transcribe(_ samples: [Float], language: String) throws -> [TranscriptSegment] {
        guard !samples.isEmpty else { return [] }
        guard whisper_lang_id(language) >= 0 else {
            throw ModelError.inference("Whisper does not know the language '\(language)'; use a code such as ru or en")
        }
        var parameters = whisper_full_default_params(WHISPER_SAMPLING_GREEDY)
        parameters.n_threads = threads
        parameters.greedy.best_of = 1
        parameters.temperature = 0
        parameters.temperature_inc = 0
        parameters.no_context = true
        parameters.suppress_blank = true
        parameters.suppress_nst = true
        parameters.print_progress = false
        parameters.print_realtime = false
        parameters.print_timestamps = false
        let status = language.withCString { code -> Int32 in
            parameters.language = code
            return whisper_full(context, parameters, samples, Int32(samples.count))
        }
        guard status == 0 else { throw ModelError.inference("whisper.cpp failed to transcribe (status \(status))") }
        return (0..<whisper_full_n_segments(context)).compactMap { index in
            let text = String(cString: whisper_full_get_segment_text(context, index)).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return nil }
            return TranscriptSegment(start: Double(whisper_full_get_segment_t0(context, index)) / 100,
                                     end: Double(whisper_full_get_segment_t1(context, index)) / 100, speaker: nil, text: text)
        }
    }
}
