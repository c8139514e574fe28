/// One local speaker of one segmentation window, with the voice embedding of what they said
/// in it: the unit the clustering groups into the lesson's speakers.
public struct LocalSpeaker: Sendable {
    /// Index of the window in the recording's windows.
    public var window: Int
    /// Index within the window (0–2).
    public var speaker: Int
    public var embedding: [Float]
    /// Seconds of speech the embedding was made from.
    public var speechSeconds: Double
    /// Whether that speech was theirs alone (overlapped frames left out).
    public var isClean: Bool
    /// The window's frames that speech came from, in order.
    public var frames: [Int]
    /// Embeddings of 1.6-s stretches of it (GE2E's partial utterances, whose mean is
    /// `embedding`): the segmentation sometimes gives two similar voices one local speaker,
    /// and these show where the voice changes.
    public var partials: [Partial]

    public struct Partial: Sendable {
        /// The stretch, as positions in `frames`.
        public var frames: Range<Int>
        public var embedding: [Float]
    }
}

/// Embeds the voice of each local speaker of a segmented window.
public final class LocalSpeakerEmbedder {
    public struct Settings: Codable, Sendable, Hashable {
        /// A local speaker's embedding is made from their speech alone (overlap left out) when
        /// there is at least this much of it; otherwise from all their speech.
        public var minimumCleanSeconds: Double = 0.5
        /// Local speakers with less speech than this in a window are not embedded (their
        /// frames are still attributed, through the other windows that see them).
        public var minimumSpeechSeconds: Double = 0.2
        public init() {}
    }

    private let embedder: SpeakerEmbedding
    private let geometry: SegmentationFrames
    private let settings: Settings

    public init(embedder: SpeakerEmbedding, frames: SegmentationFrames, settings: Settings) {
        self.embedder = embedder
        geometry = frames
        self.settings = settings
    }

    /// The local speakers of several windows. One call embeds all their speech, so the voice
    /// model's matrix products are shared by more stretches at once (its recurrent weights are
    /// packed once per step for all of them): four windows at a time cost a fifth less than one.
    public func localSpeakers(of windows: [SegmentedAudio]) -> [LocalSpeaker] {
        var speech: [(segmented: SegmentedAudio, speaker: Int, frames: [Int], isClean: Bool)] = []
        for segmented in windows {
            let window = segmented.window
            for speaker in 0..<SegmentedWindow.localSpeakers {
                let clean = framesOf(speaker, in: window, cleanOnly: true)
                let chosen = seconds(clean.count) >= settings.minimumCleanSeconds ? (clean, true) : (framesOf(speaker, in: window, cleanOnly: false), false)
                if seconds(chosen.0.count) >= settings.minimumSpeechSeconds { speech.append((segmented, speaker, chosen.0, chosen.1)) }
            }
        }
        let partials = embedder.embedWindows(of: speech.map { SpeechSegment(startSample: 0, samples: audio(of: $0.frames, in: $0.segmented.samples)) })
        let rate = Double(AudioFormat.sampleRate)
        return zip(speech, partials).compactMap { local, windows in
            guard !windows.isEmpty else { return nil }
            var mean = [Float](repeating: 0, count: windows[0].vector.count)
            for window in windows { mean.add(window.vector) }
            // A partial's span is in seconds of the joined frames, `frameStep` samples each.
            let stretches = windows.map { partial in
                let first = min(local.frames.count - 1, Int(partial.span.start * rate) / geometry.frameStep)
                let last = min(local.frames.count, Int((partial.span.end * rate).rounded(.up)) / geometry.frameStep)
                return LocalSpeaker.Partial(frames: first..<max(first + 1, last), embedding: partial.vector)
            }
            return LocalSpeaker(window: local.segmented.index, speaker: local.speaker, embedding: mean.l2Normalized,
                                speechSeconds: seconds(local.frames.count), isClean: local.isClean,
                                frames: local.frames, partials: stretches)
        }
    }

    private func seconds(_ frameCount: Int) -> Double {
        Double(frameCount * geometry.frameStep) / Double(AudioFormat.sampleRate)
    }

    /// The frames where `speaker` talks (alone, if `cleanOnly`).
    private func framesOf(_ speaker: Int, in window: SegmentedWindow, cleanOnly: Bool) -> [Int] {
        (0..<window.frameCount).filter {
            window.isActive(frame: $0, speaker: speaker) && (!cleanOnly || window.speakerCount(frame: $0) == 1)
        }
    }

    /// The audio of those frames joined: each frame contributes the `frameStep` samples around
    /// its centre, so consecutive frames tile the audio.
    private func audio(of frames: [Int], in window: [Float]) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(frames.count * geometry.frameStep)
        for frame in frames {
            let from = geometry.firstSample(ofFrame: frame)
            result += window[from..<(from + geometry.frameStep)]
        }
        return result
    }
}
