import CWhisper
import Foundation

/// Whisper run in-process by whisper.cpp (CrispASR 0.8.45's libwhisper.so) on a model
/// converted at setup from the CTranslate2 weights (scripts/models/whisper_ggml.py): the
/// built-in configuration's has its matrices quantised to 8 bits (whisper-base-q8); the
/// float16 one (whisper-base) stays installed for configurations registered with it.
///
/// Decoding is greedy at temperature 0, falling back to higher temperatures only for a window
/// whose text loops or is improbable, without conditioning on the previous text, blank and
/// non-speech tokens suppressed: the settings under which the converted model was checked
/// against faster-whisper on the original weights. A context
/// holds decoding state, so one transcriber serves one analysis at a time.
public final class WhisperTranscriber: Transcribing {
    /// The built-in configuration's model.
    public static let modelID = "whisper-base-q8"

    private let context: OpaquePointer
    private let threads: Int32
    public let modelName: String
    private let logMel = WhisperLogMel()

    /// An installed model (the built-in one unless `id` names another).
    /// - Parameter threads: whisper.cpp's own threads (it splits each window's work between them).
    public convenience init(models: ModelRegistry, id: String = modelID, threads: Int = 2) throws {
        let entry = try models.entry(id)
        try self.init(modelPath: try models.path(of: id), modelName: "\(entry.id) \(entry.version)", threads: threads)
    }

    /// - Parameter modelName: the id and version reports name the model by.
    public init(modelPath path: String, modelName: String, threads: Int = 2) throws {
        // whisper.cpp aborts the process on some malformed files: check the format first.
        try ModelFileCheck.requireGGML(at: path, purpose: "speech-to-text")
        Self.silenceLibraryLog
        var parameters = whisper_context_default_params()
        parameters.use_gpu = false
        // Word times come from the alignment heads' cross-attention (dynamic time warping, as
        // in OpenAI's word timestamps): whisper.cpp's other word timing needs the raw samples,
        // and given them it would compute its own spectrogram.
        parameters.dtw_token_timestamps = true
        parameters.dtw_aheads_preset = WHISPER_AHEADS_BASE
        parameters.flash_attn = false
        guard let context = whisper_init_from_file_with_params(path, parameters) else {
            throw ModelError.unusable(path, reason: "whisper.cpp could not load the speech-to-text model; run scripts/setup.sh again")
        }
        self.context = context
        self.threads = Int32(max(1, threads))
        self.modelName = modelName
    }

    deinit { whisper_free(context) }

    /// Whether `language` is the ISO 639-1 code of a language Whisper knows (ru, en, …).
    public static func knows(language: String) -> Bool {
        let id = whisper_lang_id(language)
        return id >= 0 && whisper_lang_str(id).map { String(cString: $0) } == language
    }

    /// whisper.cpp logs every model load and window to stderr unless given a logger.
    private static let silenceLibraryLog: Void = whisper_log_set({ _, _, _ in }, nil)

    /// Hands whisper.cpp the features of `samples`, computed as the reference computes them.
    private func setFeatures(of samples: [Float]) throws {
        let features = logMel.compute(samples)
        guard whisper_set_mel(context, features.values, Int32(features.frameCount), Int32(WhisperLogMel.bandCount)) == 0 else {
            throw ModelError.inference("whisper.cpp refused the spectrogram of \(samples.count) samples")
        }
    }

    public func detectLanguage(_ samples: [Float]) throws -> (language: String, probability: Double) {
        try setFeatures(of: Array(samples.prefix(30 * AudioFormat.sampleRate)))
        var probabilities = [Float](repeating: 0, count: Int(whisper_lang_max_id()) + 1)
        let id = whisper_lang_auto_detect(context, 0, threads, &probabilities)
        guard id >= 0, let code = whisper_lang_str(id) else { throw ModelError.inference("whisper.cpp could not detect the language") }
        // The 99-language base model gives the last slot to no language: renormalise without it.
        let total = probabilities.prefix(99).reduce(0, +)
        return (String(cString: code), total > 0 ? Double(probabilities[Int(id)] / total) : 0)
    }

    public func transcribe(_ samples: [Float], language: String) throws -> [TranscriptSegment] {
        guard samples.count >= WhisperLogMel.hopLength else { return [] }
        guard Self.knows(language: language) else {
            throw ModelError.inference("Whisper does not know the language '\(language)'; use a code such as ru or en")
        }
        var parameters = whisper_full_default_params(WHISPER_SAMPLING_GREEDY)
        parameters.n_threads = threads
        parameters.greedy.best_of = 1
        parameters.temperature = 0
        // A window whose greedy text loops on itself (low entropy) or is improbable is decoded
        // again at temperatures 0.2, 0.4, …, as OpenAI's and faster-whisper's transcribe do:
        // without it, Whisper base wrote one word 150 times over a shouting child.
        parameters.temperature_inc = 0.2
        parameters.no_context = true
        parameters.suppress_blank = true
        parameters.suppress_nst = true
        parameters.print_progress = false
        parameters.print_realtime = false
        parameters.print_timestamps = false
        try setFeatures(of: samples)
        // No samples: whisper.cpp decodes the features set above instead of computing its own.
        let status = language.withCString { code -> Int32 in
            parameters.language = code
            return whisper_full(context, parameters, nil, 0)
        }
        guard status == 0 else { throw ModelError.inference("whisper.cpp failed to transcribe (status \(status))") }
        return (0..<whisper_full_n_segments(context)).compactMap { index in
            let text = String(cString: whisper_full_get_segment_text(context, index)).trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return nil }
            return TranscriptSegment(start: Double(whisper_full_get_segment_t0(context, index)) / 100,
                                     end: Double(whisper_full_get_segment_t1(context, index)) / 100,
                                     text: text, words: words(ofSegment: index))
        }
    }

    /// The segment's words, each from the time of its first token to the next word's (the
    /// last to the segment's end). A word starts at a token that begins with a space; its
    /// bytes are joined before decoding, since one Cyrillic letter's UTF-8 bytes can be split
    /// between two tokens.
    private func words(ofSegment segment: Int32) -> [TranscriptWord] {
        let endOfText = whisper_token_eot(context)
        var words: [(start: Double, bytes: [UInt8])] = []
        for index in 0..<whisper_full_n_tokens(context, segment) {
            let token = whisper_full_get_token_data(context, segment, index)
            guard token.id < endOfText, let raw = whisper_full_get_token_text(context, segment, index) else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
            if bytes.first == UInt8(ascii: " ") || words.isEmpty {
                words.append((Double(max(0, token.t_dtw)) / 100, bytes))
            } else {
                words[words.count - 1].bytes += bytes
            }
        }
        let segmentEnd = Double(whisper_full_get_segment_t1(context, segment)) / 100
        return words.indices.compactMap { index in
            let text = String(decoding: words[index].bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            let end = index + 1 < words.count ? words[index + 1].start : segmentEnd
            return text.isEmpty ? nil : TranscriptWord(start: words[index].start, end: max(words[index].start, end), text: text)
        }
    }
}
