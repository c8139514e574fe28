import Foundation

/// What one analysis is asked to do about words.
public enum TranscriptionRequest: Sendable, Equatable {
    /// Detect the lesson's language, then transcribe in it.
    case detectLanguage
    /// Transcribe in this language (an ISO 639-1 code Whisper knows, such as ru or en).
    case language(String)
    /// No transcript; the reason goes into the report.
    case off(reason: String)
}

/// The transcription stage's settings, part of the analysis configuration.
public struct TranscriptionSettings: Codable, Sendable, Hashable {
    /// The longest stretch read at once: Whisper's window is 30 s.
    public var maximumWindowSeconds = 30.0
    /// Audio kept before and after the speech of a window, so first and last words are whole.
    public var marginSeconds = 0.2
    /// Less speech than this in a whole lesson is not transcribed: on near-silence Whisper
    /// writes words nobody said.
    public var minimumSpeechSeconds = 1.0
    /// The language is detected on the first window with this much speech (or, in a lesson
    /// with none so long, on the window with the most).
    public var languageDetectionSpeechSeconds = 20.0
    /// Below this probability the report says the language may be wrong and how to set it.
    public var uncertainLanguageProbability = 0.5

    public init() {}
}

/// Reads what was said in the speech the diarization found. Its turns are packed into windows
/// of up to 30 s, and each window goes through the model once; every word is given the
/// speaker whose turn it falls in, and a segment is split where the speaker changes.
/// The audio is decoded again as a stream rather than kept from the listening stage: a
/// 45-minute lesson's samples would take 170 MB, ffmpeg decodes them again in seconds.
public struct LessonTranscription {
    let transcriber: Transcribing
    let settings: TranscriptionSettings
    let decoder: AudioDecoding

    public init(transcriber: Transcribing, settings: TranscriptionSettings = TranscriptionSettings(), decoder: AudioDecoding = FFmpegAudioDecoder()) {
        self.transcriber = transcriber
        self.settings = settings
        self.decoder = decoder
    }

    /// - Parameter progress: the fraction of windows read; returns whether to go on.
    public func transcribe(_ url: URL, turns: [SpeakerTurn], speakers: [Speaker], request: TranscriptionRequest,
                           progress: (Double) throws -> Void = { _ in }) throws -> Transcript {
        if case .off(let reason) = request { return .notAnalysed(reason) }
        let windows = SpeechWindows(turns: turns, settings: settings)
        guard windows.speechSeconds >= settings.minimumSpeechSeconds else {
            return .notAnalysed(Transcript.Why.noSpeechPrefix + String(format: "%.1f s of speech", windows.speechSeconds))
        }
        let language: String, probability: Double?
        switch request {
        case .language(let given): (language, probability) = (given, nil)
        case .detectLanguage, .off:
            let sample = windows.languageDetectionWindow(minimumSpeechSeconds: settings.languageDetectionSpeechSeconds)
            var detected = (language: "", probability: 0.0)
            try windows.read([sample], of: url, with: decoder) { _, samples in detected = try transcriber.detectLanguage(samples) }
            (language, probability) = (detected.language, detected.probability)
        }

        let roles = Dictionary(speakers.map { ($0.id, $0.role) }, uniquingKeysWith: { first, _ in first })
        var segments: [TranscriptSegment] = []
        try windows.read(windows.spans, of: url, with: decoder) { index, samples in
            try progress(Double(index) / Double(windows.spans.count))
            let window = windows.spans[index]
            for found in try transcriber.transcribe(samples, language: language) {
                segments += SpeakerAttribution(turns: turns, roles: roles).split(found, shiftedBy: window.start, within: window)
            }
        }
        let note = probability.flatMap { $0 < settings.uncertainLanguageProbability ? $0 : nil }.map {
            String(format: "the language was detected as '%@' with probability %.2f only; if that is wrong, give the lesson's language (per school or per upload) and analyse it again", language, $0)
        }
        return Transcript(language: language, languageProbability: probability, model: transcriber.modelName, segments: segments, note: note)
    }
}

/// The stretches of a lesson sent to the model: its speech, packed into windows of up to
/// `maximumWindowSeconds` that never cut a region of speech unless it is longer than that.
struct SpeechWindows {
    /// Sorted, disjoint.
    let spans: [TimeSpan]
    /// The seconds of speech inside each span.
    let speech: [Double]
    var speechSeconds: Double { speech.reduce(0, +) }

    init(turns: [SpeakerTurn], settings: TranscriptionSettings) {
        var regions: [TimeSpan] = []
        for turn in turns.sorted(by: { $0.start < $1.start }) where turn.end > turn.start {
            if let last = regions.last, turn.start <= last.end { regions[regions.count - 1].end = max(last.end, turn.end) } else {
                regions.append(TimeSpan(start: turn.start, end: turn.end))
            }
        }
        let margin = settings.marginSeconds
        let longest = settings.maximumWindowSeconds - 2 * margin
        var spans: [TimeSpan] = [], speech: [Double] = []
        for region in regions {
            // A region longer than a window is cut into equal pieces.
            let pieces = max(1, Int((region.duration / longest).rounded(.up)))
            let length = region.duration / Double(pieces)
            for piece in 0..<pieces {
                let part = TimeSpan(start: region.start + Double(piece) * length, end: region.start + Double(piece + 1) * length)
                if let last = spans.last, part.end + margin - last.start <= settings.maximumWindowSeconds, part.start >= last.end - margin {
                    spans[spans.count - 1].end = part.end + margin
                    speech[speech.count - 1] += part.duration
                } else {
                    spans.append(TimeSpan(start: max(spans.last?.end ?? 0, part.start - margin), end: part.end + margin))
                    speech.append(part.duration)
                }
            }
        }
        self.spans = spans
        self.speech = speech
    }

    /// Where the language is detected: the first window with enough speech, else the one with the most.
    func languageDetectionWindow(minimumSpeechSeconds: Double) -> TimeSpan {
        let enough = min(minimumSpeechSeconds, speech.max() ?? 0)
        return spans[speech.firstIndex { $0 >= enough } ?? 0]
    }

    private struct Done: Error {}

    /// Decodes `url` once as a stream and hands over each span's samples in order; only the
    /// audio a later span still needs is kept.
    func read(_ wanted: [TimeSpan], of url: URL, with decoder: AudioDecoding, _ body: (Int, [Float]) throws -> Void) throws {
        let rate = Double(AudioFormat.sampleRate)
        func samples(_ span: TimeSpan) -> Range<Int> { Int(span.start * rate)..<max(Int(span.start * rate), Int(span.end * rate)) }
        var next = 0
        var buffer: [Float] = [], bufferStart = 0
        func hand(upTo decodedEnd: Int?) throws {
            while next < wanted.count {
                let range = samples(wanted[next])
                if let decodedEnd, decodedEnd < range.upperBound { break }
                let from = max(0, range.lowerBound - bufferStart), to = min(buffer.count, range.upperBound - bufferStart)
                try body(next, from < to ? Array(buffer[from..<to]) : [])
                next += 1
            }
        }
        do {
            try decoder.decode(url, chunkSeconds: 10) { chunk in
                buffer += chunk.samples
                try hand(upTo: bufferStart + buffer.count)
                guard next < wanted.count else { throw Done() }
                let unneeded = min(buffer.count, max(0, samples(wanted[next]).lowerBound - bufferStart))
                buffer.removeFirst(unneeded)
                bufferStart += unneeded
            }
        } catch is Done {
            return
        }
        // The audio ended before the last spans did: they get what there is.
        try hand(upTo: nil)
    }
}

/// Gives each word the speaker whose turn it falls in.
struct SpeakerAttribution {
    let turns: [SpeakerTurn]
    let roles: [String: SpeakerRole]

    /// `segment` (times relative to `offset`) in lesson time, cut where the speaker changes.
    func split(_ segment: TranscriptSegment, shiftedBy offset: Double, within window: TimeSpan) -> [TranscriptSegment] {
        func clamp(_ t: Double) -> Double { min(window.end, max(window.start, t + offset)) }
        let words = (segment.words ?? []).map { TranscriptWord(start: clamp($0.start), end: clamp($0.end), text: $0.text) }
        guard !words.isEmpty else {
            let span = TimeSpan(start: clamp(segment.start), end: clamp(segment.end))
            let speaker = speaker(of: span)
            return [TranscriptSegment(start: span.start, end: span.end, speaker: speaker, role: speaker.flatMap { roles[$0] }, text: segment.text)]
        }
        var result: [TranscriptSegment] = []
        for word in words {
            let speaker = speaker(of: TimeSpan(start: word.start, end: word.end))
            if var last = result.last, last.speaker == speaker {
                last.end = max(last.end, word.end)
                last.text += " " + word.text
                last.words!.append(word)
                result[result.count - 1] = last
            } else {
                result.append(TranscriptSegment(start: word.start, end: word.end, speaker: speaker, role: speaker.flatMap { roles[$0] },
                                                text: word.text, words: [word]))
            }
        }
        return result
    }

    /// The speaker whose turn overlaps `span` most; for a span in no turn, the nearest turn's
    /// speaker within a second (word times are approximate), else nobody.
    func speaker(of span: TimeSpan) -> String? {
        let overlapping = turns.map { ($0.speaker, TimeSpan(start: $0.start, end: $0.end).overlap(with: span)) }.max { $0.1 < $1.1 }
        if let overlapping, overlapping.1 > 0 { return overlapping.0 }
        let middle = (span.start + span.end) / 2
        let nearest = turns.map { ($0.speaker, max($0.start - middle, middle - $0.end)) }.min { $0.1 < $1.1 }
        return nearest.flatMap { $0.1 <= 1 ? $0.0 : nil }
    }
}
