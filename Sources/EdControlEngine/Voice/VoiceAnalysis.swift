import Foundation

/// How each speaker's voice sounded, turn by turn, and when it was raised.
public struct VoiceReport: Codable, Sendable, Equatable {
    /// A speaker's typical voice in this lesson: what "raised" is measured against.
    public struct Baseline: Codable, Sendable, Equatable {
        public var speaker: String
        public var medianLoudnessLUFS: Double
        public var medianPitchHz: Double?
    }

    public struct Turn: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var speaker: String
        /// Energy mean of the turn's momentary loudness.
        public var loudnessLUFS: Double
        public var medianPitchHz: Double?
        /// 0–1; 0.5 is the speaker's usual voice, higher is louder and higher-pitched than usual.
        public var arousal: Double
    }

    public struct RaisedVoiceEpisode: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var speaker: String
        public var peakLoudnessLUFS: Double
        /// Peak and mean loudness above the speaker's median, in LU (= dB).
        public var peakAboveBaselineLU: Double
        public var meanAboveBaselineLU: Double
        public var meanArousal: Double
    }

    public var baselines: [Baseline]
    public var turns: [Turn]
    public var raisedVoice: [RaisedVoiceEpisode]
    /// Why nobody's voice was analysed (a recording without sound); nil when it was.
    public var note: String? = nil
    /// Median loudness of the moments nobody speaks (the room and the line), floored at
    /// −70 LUFS; nil with under 5 s of them. With the speech's loudness it estimates the
    /// signal-to-noise ratio that drift monitoring follows.
    public var noiseFloorLUFS: Double? = nil
}

/// Compares each speaker's voice with their own typical voice in the lesson.
public struct VoiceAnalysis: Sendable {
    public struct Settings: Codable, Sendable, Hashable {
        /// A frame is raised when it is this much louder than the speaker's median…
        public var raisedLoudnessLU: Double = 6
        /// …and, if voiced, not lower-pitched than the speaker's median.
        public var raisedNeedsPitchAtLeastMedian = true
        /// Raised frames closer than this join one episode.
        public var episodeGapSeconds: Double = 0.5
        /// Shorter episodes are ignored (a stressed syllable is not a raised voice).
        public var minimumEpisodeSeconds: Double = 1.0
        /// Weight of loudness (vs pitch) in the arousal score.
        public var arousalLoudnessWeight: Double = 0.6
        public init() {}
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) { self.settings = settings }

    public func analyze(frames: [ProsodyFrame], turns: [SpeakerTurn]) -> VoiceReport {
        let speakerOfFrame = Self.speakers(of: frames, in: turns)
        var bySpeaker: [String: [ProsodyFrame]] = [:]
        for (frame, speaker) in zip(frames, speakerOfFrame) {
            if let speaker { bySpeaker[speaker, default: []].append(frame) }
        }
        let baselines = bySpeaker.map { speaker, frames in Self.baseline(of: frames, speaker: speaker) }
            .sorted { $0.speaker < $1.speaker }
        let baselineOf = Dictionary(uniqueKeysWithValues: baselines.map { ($0.speaker, $0) })
        let spreads = bySpeaker.mapValues(Self.spread)

        func arousal(_ frame: ProsodyFrame, _ speaker: String) -> Double {
            let base = baselineOf[speaker]!, spread = spreads[speaker]!
            var z = settings.arousalLoudnessWeight * (Double(frame.loudnessLUFS) - base.medianLoudnessLUFS) / spread.loudness
            if let pitch = frame.pitchHz, let median = base.medianPitchHz {
                z += (1 - settings.arousalLoudnessWeight) * log(Double(pitch) / median) / spread.logPitch
            }
            return 1 / (1 + exp(-z))
        }

        // A turn is measured on the frames whose middle it covers, overlapped ones included (a
        // turn inside another speaker's talk has no frames of its own); a turn shorter than a
        // frame, on the frame around its middle.
        let turnReports = turns.compactMap { turn -> VoiceReport.Turn? in
            let middle = (turn.start + turn.end) / 2
            var own = frames.filter { turn.span.contains($0.time + ProsodyAnalyzer.frameSeconds / 2) }
            if own.isEmpty { own = frames.filter { $0.time <= middle && middle < $0.time + ProsodyAnalyzer.frameSeconds } }
            guard !own.isEmpty, baselineOf[turn.speaker] != nil else { return nil }
            let pitches = own.compactMap(\.pitchHz).sorted()
            return VoiceReport.Turn(start: turn.start, end: turn.end, speaker: turn.speaker,
                                    loudnessLUFS: Self.energyMean(own.map { Double($0.loudnessLUFS) }),
                                    medianPitchHz: pitches.isEmpty ? nil : Double(pitches[pitches.count / 2]),
                                    arousal: own.map { arousal($0, turn.speaker) }.reduce(0, +) / Double(own.count))
        }

        // Raised-voice frames, grouped into episodes per speaker.
        var episodes: [VoiceReport.RaisedVoiceEpisode] = []
        for (speaker, own) in bySpeaker {
            let base = baselineOf[speaker]!
            let raised = own.filter { frame in
                guard Double(frame.loudnessLUFS) >= base.medianLoudnessLUFS + settings.raisedLoudnessLU else { return false }
                guard settings.raisedNeedsPitchAtLeastMedian, let pitch = frame.pitchHz, let median = base.medianPitchHz else { return true }
                return Double(pitch) >= median
            }
            var group: [ProsodyFrame] = []
            func close() {
                defer { group = [] }
                guard let first = group.first, let last = group.last,
                      last.time + ProsodyAnalyzer.frameSeconds - first.time >= settings.minimumEpisodeSeconds else { return }
                let peak = Double(group.map(\.loudnessLUFS).max()!)
                let mean = group.map { Double($0.loudnessLUFS) }.reduce(0, +) / Double(group.count)
                episodes.append(.init(start: first.time, end: last.time + ProsodyAnalyzer.frameSeconds, speaker: speaker,
                                      peakLoudnessLUFS: peak, peakAboveBaselineLU: peak - base.medianLoudnessLUFS,
                                      meanAboveBaselineLU: mean - base.medianLoudnessLUFS,
                                      meanArousal: group.map { arousal($0, speaker) }.reduce(0, +) / Double(group.count)))
            }
            for frame in raised {
                if let last = group.last, frame.time - (last.time + ProsodyAnalyzer.frameSeconds) > settings.episodeGapSeconds { close() }
                group.append(frame)
            }
            close()
        }
        let quiet = zip(frames, speakerOfFrame).filter { $0.1 == nil }.map { max(-70, Double($0.0.loudnessLUFS)) }.sorted()
        let enoughQuiet = Double(quiet.count) * ProsodyAnalyzer.frameSeconds >= 5
        return VoiceReport(baselines: baselines, turns: turnReports, raisedVoice: episodes.sorted { $0.start < $1.start },
                           noiseFloorLUFS: enoughQuiet ? quiet[quiet.count / 2] : nil)
    }

    /// The speaker talking at each frame's midpoint, if any (frames and turns sorted by time).
    static func speakers(of frames: [ProsodyFrame], in turns: [SpeakerTurn]) -> [String?] {
        let sorted = turns.sorted { $0.start < $1.start }
        var next = 0
        return frames.map { frame in
            let middle = frame.time + ProsodyAnalyzer.frameSeconds / 2
            while next < sorted.count && sorted[next].end <= middle { next += 1 }
            return next < sorted.count && sorted[next].start <= middle ? sorted[next].speaker : nil
        }
    }

    static func baseline(of frames: [ProsodyFrame], speaker: String) -> VoiceReport.Baseline {
        let loudness = frames.map { Double($0.loudnessLUFS) }.sorted()
        let pitches = frames.compactMap(\.pitchHz).sorted()
        return .init(speaker: speaker, medianLoudnessLUFS: loudness[loudness.count / 2],
                     medianPitchHz: pitches.isEmpty ? nil : Double(pitches[pitches.count / 2]))
    }

    /// Robust spreads (median absolute deviation, floored so a monotone voice does not
    /// turn every small change into a large score).
    static func spread(_ frames: [ProsodyFrame]) -> (loudness: Double, logPitch: Double) {
        func mad(_ values: [Double]) -> Double {
            guard !values.isEmpty else { return 0 }
            let sorted = values.sorted(), median = sorted[sorted.count / 2]
            let deviations = values.map { abs($0 - median) }.sorted()
            return 1.4826 * deviations[deviations.count / 2]
        }
        return (max(2, mad(frames.map { Double($0.loudnessLUFS) })),
                max(0.05, mad(frames.compactMap { $0.pitchHz.map { log(Double($0)) } })))
    }

    /// Loudness values averaged as energies, as EBU R 128 integrates.
    static func energyMean(_ lufs: [Double]) -> Double {
        10 * log10(lufs.map { pow(10, $0 / 10) }.reduce(0, +) / Double(lufs.count))
    }
}
