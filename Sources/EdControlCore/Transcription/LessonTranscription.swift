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
    /// The most audio given to the model in one call (its speech joined, long silences cut
    /// out). Whisper reads it in 30-s windows of its own, each starting where the last one's
    /// text ended. Calls of 30 s each (the setting before) cost Whisper a second 30-s pass
    /// for the last seconds of most calls: 10 minutes of real reading took 0.116 × real time
    /// to transcribe, 0.081 × in calls of 300 s.
    public var maximumWindowSeconds = 300.0
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

/// Reads what was said in the speech the diarization found. Its turns, joined with the
/// silences between them shortened, go to the model in calls of up to `maximumWindowSeconds`;
/// every word is given the speaker whose turn it falls in, and a segment is split where the
/// speaker changes.
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

    /// - Parameter progress: the fraction of calls made; returns whether to go on.
    public func transcribe(_ url: URL, turns: [SpeakerTurn], speakers: [Speaker], request: TranscriptionRequest,
                           progress: (Double) throws -> Void = { _ in }) throws -> Transcript {
        if case .off(let reason) = request { return .notAnalysed(reason) }
        let speech = LessonSpeech(turns: turns, settings: settings)
        guard speech.speechSeconds >= settings.minimumSpeechSeconds else {
            return .notAnalysed(Transcript.Why.noSpeechPrefix + String(format: "%.1f s of speech", speech.speechSeconds))
        }
        let language: String, probability: Double?
        switch request {
        case .language(let given): (language, probability) = (given, nil)
        case .detectLanguage, .off:
            let sample = speech.languageDetectionStretch(minimumSpeechSeconds: settings.languageDetectionSpeechSeconds)
            var detected = (language: "", probability: 0.0)
            try speech.read([sample], of: url, with: decoder) { _, samples in detected = try transcriber.detectLanguage(samples) }
            (language, probability) = (detected.language, detected.probability)
        }

        let roles = Dictionary(speakers.map { ($0.id, $0.role) }, uniquingKeysWith: { first, _ in first })
        let attribution = SpeakerAttribution(turns: turns, roles: roles)
        var segments: [TranscriptSegment] = []
        var call = LessonSpeech.Call()
        try speech.read(speech.stretches, of: url, with: decoder) { index, samples in
            call.append(samples, from: speech.stretches[index])
            guard let number = speech.calls.firstIndex(where: { $0.last == index }) else { return }
            try progress(Double(number) / Double(speech.calls.count))
            for found in try transcriber.transcribe(call.samples, language: language) {
                segments += attribution.split(call.inLessonTime(found), shiftedBy: 0, within: call.span)
            }
            call = LessonSpeech.Call()
        }
        let note = probability.flatMap { $0 < settings.uncertainLanguageProbability ? $0 : nil }.map {
            String(format: "the language was detected as '%@' with probability %.2f only; if that is wrong, give the lesson's language (per school or per upload) and analyse it again", language, $0)
        }
        return Transcript(language: language, languageProbability: probability, model: transcriber.modelName, segments: segments, note: note)
    }
}

/// What of a lesson the model reads: the stretches of its speech, each region of speech with
/// a margin before and after, silences up to `keptSilenceSeconds` left in and longer ones cut
/// out (on silence Whisper writes words nobody said, and reading it costs as much as speech).
/// The stretches are joined into calls of up to `maximumWindowSeconds`. Silences cut down to
/// the margins (up to 1 s kept) took the WER on the real Russian clips read one after another
/// from 16.2 % to 18.6 %; up to 3 s kept, 16.4 % (English 11.2 → 10.6 %).
struct LessonSpeech {
    static let keptSilenceSeconds = 3.0

    /// Sorted, disjoint stretches of the lesson's time.
    let stretches: [TimeSpan]
    /// The seconds of speech inside each stretch.
    let speech: [Double]
    /// Consecutive stretches, each group given to the model in one call.
    let calls: [Range<Int>]
    var speechSeconds: Double { speech.reduce(0, +) }

    init(turns: [SpeakerTurn], settings: TranscriptionSettings) {
        var regions: [TimeSpan] = []
        for turn in turns.sorted(by: { $0.start < $1.start }) where turn.end > turn.start {
            if let last = regions.last, turn.start <= last.end { regions[regions.count - 1].end = max(last.end, turn.end) } else {
                regions.append(TimeSpan(start: turn.start, end: turn.end))
            }
        }
        let margin = settings.marginSeconds, longest = settings.maximumWindowSeconds
        var joined: [(span: TimeSpan, speech: Double)] = []
        for region in regions {
            let span = TimeSpan(start: max(0, region.start - margin), end: region.end + margin)
            if let last = joined.last, span.start - last.span.end <= Self.keptSilenceSeconds {
                joined[joined.count - 1] = (TimeSpan(start: last.span.start, end: span.end), last.speech + region.duration)
            } else {
                joined.append((span, region.duration))
            }
        }
        // A stretch longer than a call is cut into equal pieces (a word may be cut there: once
        // in `maximumWindowSeconds` of speech without a pause).
        var stretches: [TimeSpan] = [], speech: [Double] = []
        for (span, seconds) in joined {
            let pieces = max(1, Int((span.duration / longest).rounded(.up)))
            let length = span.duration / Double(pieces)
            for piece in 0..<pieces {
                stretches.append(TimeSpan(start: span.start + Double(piece) * length, end: span.start + Double(piece + 1) * length))
                speech.append(seconds / Double(pieces))
            }
        }
        var calls: [Range<Int>] = [], length = 0.0
        for (index, stretch) in stretches.enumerated() {
            if let last = calls.last, length + stretch.duration <= longest {
                calls[calls.count - 1] = last.lowerBound..<(index + 1)
                length += stretch.duration
            } else {
                calls.append(index..<(index + 1))
                length = stretch.duration
            }
        }
        self.stretches = stretches
        self.speech = speech
        self.calls = calls
    }

    /// Where the language is detected: the first stretch with enough speech, else the one with the most.
    func languageDetectionStretch(minimumSpeechSeconds: Double) -> TimeSpan {
        let enough = min(minimumSpeechSeconds, speech.max() ?? 0)
        return stretches[speech.firstIndex { $0 >= enough } ?? 0]
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

    /// The audio of one call as it is gathered, and the way back from its time to the lesson's.
    struct Call {
        private(set) var samples: [Float] = []
        /// Each stretch with where it starts in `samples`, in seconds.
        private var parts: [(stretch: TimeSpan, offset: Double)] = []

        /// From the first stretch's start to the last one's end.
        var span: TimeSpan { TimeSpan(start: parts.first?.stretch.start ?? 0, end: parts.last?.stretch.end ?? 0) }

        mutating func append(_ audio: [Float], from stretch: TimeSpan) {
            parts.append((stretch, Double(samples.count) / Double(AudioFormat.sampleRate)))
            samples += audio
        }

        /// `segment` (seconds from the call's first sample) in lesson time. A word is placed in
        /// the stretch its start falls in, its end kept within that stretch.
        func inLessonTime(_ segment: TranscriptSegment) -> TranscriptSegment {
            func part(at time: Double) -> (stretch: TimeSpan, offset: Double) { parts.last { $0.offset <= time } ?? parts[0] }
            func place(_ time: Double, in part: (stretch: TimeSpan, offset: Double)) -> Double {
                min(part.stretch.end, part.stretch.start + max(0, time - part.offset))
            }
            var result = segment
            result.start = place(segment.start, in: part(at: segment.start))
            result.end = max(result.start, place(segment.end, in: part(at: segment.end)))
            result.words = segment.words?.map { word in
                let stretch = part(at: word.start)
                let start = place(word.start, in: stretch)
                return TranscriptWord(start: start, end: max(start, place(word.end, in: stretch)), text: word.text)
            }
            return result
        }
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
