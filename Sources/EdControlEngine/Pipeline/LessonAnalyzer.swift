import Foundation
import Logging

/// Analyses one lesson recording into a `LessonReport`. The audio (windows → local speakers
/// and overlap → voice embeddings → speakers → turns → roles → talk metrics, loudness and
/// pitch) and the video
/// (frames → faces → expressions → tracks) are read at the same time on separate threads;
/// then the speakers' speech is transcribed, faces are linked to speakers, and both feed the
/// incidents.
public final class LessonAnalyzer {
    public let configuration: AnalysisConfiguration
    /// The registry's name for `configuration`, recorded in the lineage (nil: run by hand).
    public let configurationVersion: String?
    private var settings: AnalysisSettings { configuration.settings }
    private let registry: ModelRegistry
    private let probe: MediaProbing
    private let decoder: AudioDecoding
    private let diarizer: Diarizer
    private let logger: Logger
    /// The face models of `readExpression`, loaded (and their files checked) at its first picture.
    private var pictureModels: (detector: BlazeFaceDetector, classifier: MiniXceptionEmotionClassifier)?

    /// - Parameter configuration: nil takes the built-in one with the installed models.
    public init(models registry: ModelRegistry, configuration: AnalysisConfiguration? = nil, configurationVersion: String? = nil,
                probe: MediaProbing = FFprobe(), decoder: AudioDecoding = FFmpegAudioDecoder(),
                logger: Logger = Logger(label: "edcontrol.analyzer")) {
        self.registry = registry
        self.configuration = configuration ?? .standard(installedIn: registry)
        self.configurationVersion = configurationVersion
        self.probe = probe
        self.decoder = decoder
        diarizer = Diarizer(clustering: MergingSpeakerClustering(settings: self.configuration.settings.clustering),
                            settings: self.configuration.settings.diarization)
        self.logger = logger
        _ = LibraryThreads.callsRunOnCallingThread
    }

    /// - Parameter transcription: whether to transcribe, and in which language.
    /// - Parameter times: receives where the time went, stage by stage.
    public func analyze(_ url: URL, teacherProfile: TeacherProfile? = nil, transcription: TranscriptionRequest = .detectLanguage,
                        progress: AnalysisProgress = NoProgress(), times: StageTimes = StageTimes()) throws -> LessonReport {
        progress.update(stage: .probing, fraction: 0)
        let media = try times.inThisProcess("reading the file's format") { try probe.probe(url) }
        guard !media.audio.isEmpty || !media.video.isEmpty else { throw MediaError.noAudioTrack(url.path, hasVideo: false) }
        // A recording without sound still shows faces: they are analysed, and the report says
        // why there are no speakers.
        let hasSound = !media.audio.isEmpty
        if !hasSound, media.durationSeconds < 1 { throw MediaError.tooShort(url.path, seconds: media.durationSeconds) }
        if let teacherProfile { try checkCompatible(teacherProfile) }

        let progressOfBoth = CombinedProgress(progress, parts: (hasSound ? 1 : 0) + (media.video.isEmpty ? 0 : 1))
        let (heard, seen) = try listenAndWatch(url, media: media, progress: progressOfBoth, times: times)
        progress.update(stage: .clustering, fraction: 0)
        let diarization = times.onThisThread("telling speakers apart") {
            diarizer.diarize(windows: heard.windows, localSpeakers: heard.localSpeakers, frames: heard.frames,
                             totalSamples: heard.decodedSamples, bounds: settings.speakerCount)
        }
        let turns = diarization.turns

        let speakers = identifySpeakers(turns: turns, centroids: diarization.centroids, profile: teacherProfile)
        let roles = Dictionary(uniqueKeysWithValues: speakers.map { ($0.id, $0.role) })
        let transcript = hasSound ? try transcribe(url, turns: turns, speakers: speakers, request: transcription, progress: progress, times: times)
            : .notAnalysed("the recording has no audio track")
        progress.update(stage: .summarising, fraction: 0)
        let duration = max(media.durationSeconds, heard.decodedSeconds)
        let speakerCount = hasSound ? diarization.count : nil
        let metrics = TalkMetricsCalculator(settings: settings.talk)
            .metrics(turns: turns, roles: roles, durationSeconds: duration)
        var voice = VoiceAnalysis(settings: settings.voice).analyze(frames: heard.prosody, turns: turns)
        if !hasSound { voice.note = "the recording has no audio track: speakers, talk time and voices were not analysed" }
        let video = seen.map { seen in
            VideoReport(analysed: true, note: nil, framesPerSecond: seen.framesPerSecond, sampledFrames: seen.sampledFrames,
                        framesWithFaces: seen.framesWithFaces, mostFacesInAFrame: seen.mostFacesInAFrame,
                        tracks: FaceTimelineBuilder(settings: settings.faceTimeline)
                            .tracks(seen.tracks, turns: turns, speakers: speakers, durationSeconds: duration))
        } ?? .notAnalysed("the recording has no video track")
        let teaching = transcript.analysed ? TeachingMeasurer().measure(transcript, durationSeconds: duration) : nil
        let verbal = configuration.verbalLexicon.map { VerbalIncidentFinder(lexicon: $0).matches(in: transcript) } ?? []
        let detector = IncidentDetector(rules: configuration.incidentRules)
        let incidents = detector.incidents(voice: voice, faces: video.tracks, speakers: speakers, verbal: verbal)
        logger.info("analysed", metadata: ["file": "\(url.lastPathComponent)", "speakers": "\(speakers.count)",
                                           "turns": "\(turns.count)", "frames": "\(seen?.sampledFrames ?? 0)",
                                           "faceSearches": "\(seen?.searches ?? 0)"])
        return LessonReport(
            schemaVersion: LessonReport.currentSchemaVersion,
            generatedAt: ISO8601DateFormatter().string(from: Date()),
            input: .init(file: url.lastPathComponent, media: media, analysedSampleRate: AudioFormat.sampleRate,
                         analysedAudioSeconds: heard.decodedSeconds),
            speakers: speakers, speakerCount: speakerCount, turns: turns, talkMetrics: metrics, voice: voice, video: video,
            transcript: transcript, teaching: teaching, incidents: incidents, summary: detector.summary(incidents, speakers: speakers, faces: video.tracks),
            lineage: Lineage(software: "edcontrol", softwareVersion: EdControl.version,
                             models: heard.models + (seen == nil ? [] : [configuration.models.faceDetection, configuration.models.facialEmotion])
                                 + (transcript.analysed ? configuration.models.transcription.map { [$0] } ?? [] : []),
                             configurationVersion: configurationVersion, analysisConfigurationSHA256: configuration.sha256,
                             configurationSHA256: settings.sha256, configuration: settings,
                             incidentRulesVersion: configuration.incidentRules.version,
                             incidentRulesSHA256: configuration.incidentRules.sha256, incidentRules: configuration.incidentRules,
                             verbalLexiconVersion: transcript.analysed ? configuration.verbalLexicon?.version : nil,
                             verbalLexiconSHA256: transcript.analysed ? configuration.verbalLexicon?.sha256 : nil,
                             questionRulesVersion: teaching?.questionRulesVersion))
    }

    /// Speech found by the silero VAD alone: the baseline the segmentation model's voice
    /// activity is evaluated against.
    public func detectSpeech(in url: URL) throws -> [TimeSpan] {
        let media = try probe.probe(url)
        guard !media.audio.isEmpty else { throw MediaError.noAudioTrack(url.path, hasVideo: !media.video.isEmpty) }
        let detector = try makeVoiceActivityDetector()
        var spans: [TimeSpan] = []
        try decoder.decode(url, chunkSeconds: 10) { spans += detector.accept($0).map(\.span) }
        return spans + detector.finish().map(\.span)
    }

    /// A teacher's voice profile from a sample of their speech (silences are left out).
    /// - Parameter spans: only speech inside these stretches counts (e.g. one speaker's turns
    ///   in an analysed lesson); nil takes all of it (a recording of the teacher alone).
    public func enrollTeacher(from url: URL, during spans: [TimeSpan]? = nil) throws -> TeacherProfile {
        let media = try probe.probe(url)
        guard !media.audio.isEmpty else { throw MediaError.noAudioTrack(url.path, hasVideo: !media.video.isEmpty) }
        let detector = try makeVoiceActivityDetector()
        // Five minutes of speech make a stable profile; more would only cost memory.
        let enough = 300 * AudioFormat.sampleRate
        var speech: [Float] = []
        func keep(_ segments: [SpeechSegment]) {
            for segment in segments where speech.count < enough {
                let rate = Double(AudioFormat.sampleRate)
                let wanted = spans.map { $0.filter { $0.overlap(with: segment.span) > 0 } } ?? [segment.span]
                for span in wanted where speech.count < enough {
                    let from = max(0, Int(span.start * rate) - segment.startSample)
                    let to = min(segment.samples.count, Int(span.end * rate) - segment.startSample)
                    if to > from { speech += segment.samples[from..<to].prefix(enough - speech.count) }
                }
            }
        }
        try decoder.decode(url, chunkSeconds: 10) { keep(detector.accept($0)) }
        keep(detector.finish())
        let seconds = Double(speech.count) / Double(AudioFormat.sampleRate)
        guard seconds >= TeacherProfile.minimumSpeechSeconds else {
            throw ProfileError("\(url.path): only \(String(format: "%.1f", seconds)) s of speech found; a voice profile needs at least \(Int(TeacherProfile.minimumSpeechSeconds)) s (30 s or more gives a reliable one). Record the teacher speaking alone.")
        }
        let embedder = try makeEmbedder()
        return TeacherProfile(model: configuration.models.speakerEmbedding,
                              speechSeconds: seconds, embedding: embedder.embedUtterance(speech))
    }

    /// The expression read on one labelled picture: in `face` if given, else in the largest
    /// face found, else in the whole picture (a face crop, as in FER2013) — the per-item
    /// score of `eval emotions` and of experiments on expressions.
    public func readExpression(in image: URL, face: FaceBox?) throws -> (emotion: Emotion, faceFound: Bool) {
        let models = try pictureModels ?? (BlazeFaceDetector(modelPath: try verifiedPath(configuration.models.faceDetection), settings: settings.faces.detector),
                                           MiniXceptionEmotionClassifier(modelPath: try verifiedPath(configuration.models.facialEmotion)))
        pictureModels = models
        let frame = try FFmpegVideoFrameDecoder().firstFrame(of: image, maxWidth: 4096)
        let box = try face ?? models.detector.detect(in: frame, minimumFaceSize: 20).max { $0.box.width < $1.box.width }?.box
        let probabilities = try models.classifier.classify([box ?? FaceBox(x: 0, y: 0, width: Double(frame.width), height: Double(frame.height))], in: frame)[0]
        return (probabilities.mostLikely, box != nil)
    }

    // MARK: Stages

    private struct Heard {
        var windows: [SegmentedWindow] = []
        var localSpeakers: [LocalSpeaker] = []
        var frames = SegmentationFrames(windowSamples: 1, frameStep: 1, frameSpan: 1, frameCount: 0)
        var prosody: [ProsodyFrame] = []
        var decodedSamples = 0
        var decodedSeconds: Double { Double(decodedSamples) / Double(AudioFormat.sampleRate) }
        /// The models that listened (for the lineage).
        var models: [ModelReference] = []
    }

    /// What the segmentation thread owns: the model, and why it failed if it did.
    private struct SegmentingState {
        let segmenter: WindowedSegmenter
        var failure: Error?
    }

    /// What the embedding thread owns: the voice model, the windows waiting to be embedded
    /// together, and the local speakers found.
    private struct EmbeddingState {
        let embedder: LocalSpeakerEmbedder
        var waiting: [SegmentedAudio] = []
        var localSpeakers: [LocalSpeaker] = []
        /// Windows embedded in one call: 20 s of audio, about 80 voice stretches.
        static let windowsPerCall = 4

        /// Takes a window; embeds the waiting ones once there are enough, or at the end (nil).
        mutating func take(_ window: SegmentedAudio?) {
            if let window { waiting.append(window) }
            guard waiting.count >= Self.windowsPerCall || (window == nil && !waiting.isEmpty) else { return }
            localSpeakers += embedder.localSpeakers(of: waiting)
            waiting.removeAll()
        }
    }

    /// The audio and the video, read at the same time: the video on a thread of its own.
    /// Timed as a whole on all threads, each stage on its own thread, and the rest: video
    /// decoding on its threads and ffmpeg's audio decoding.
    private func listenAndWatch(_ url: URL, media: MediaInfo, progress: CombinedProgress, times: StageTimes) throws -> (Heard, FacesSeen?) {
        let whole = StageTimes(), parts = StageTimes()
        let heardAndSeen = try whole.inThisProcess("listening and watching, all threads") { () throws -> (Heard, FacesSeen?) in
            let watching = try watch(url, media: media, progress: progress, part: media.audio.isEmpty ? 0 : 1, times: parts)
            var heard = Heard()
            do {
                if !media.audio.isEmpty { heard = try listen(to: url, media: media, progress: progress, times: parts) }
            } catch {
                _ = watching?.finish()
                throw error
            }
            return (heard, try watching?.finish().result?.get())
        }
        times.add(whole.all + parts.all)
        times.add("  decoding video and audio (other threads, ffmpeg)", wallSeconds: whole.wallSeconds,
                  cpuSeconds: max(0, whole.cpuSeconds - parts.cpuSeconds))
        return heardAndSeen
    }

    /// Streams the audio once, in three stages that overlap: this thread decodes it and
    /// measures loudness and pitch; the segmentation thread finds the local speakers of each
    /// window; the voice thread embeds their voices. Only the current window's audio is kept,
    /// so memory does not grow with the recording's length.
    private func listen(to url: URL, media: MediaInfo, progress: CombinedProgress, times: StageTimes) throws -> Heard {
        let model = try PyannoteSegmenter(modelPath: try verifiedPath(configuration.models.speakerSegmentation))
        let voiceModel = try makeEmbedder()
        let prosody = ProsodyAnalyzer(settings: settings.prosody)
        // The models are used only on their stages' threads from here on.
        nonisolated(unsafe) let segmentingState = SegmentingState(segmenter: WindowedSegmenter(segmenter: model, settings: settings.segmentation))
        nonisolated(unsafe) let embeddingState = EmbeddingState(embedder: LocalSpeakerEmbedder(embedder: voiceModel, frames: model.frames,
                                                                                               settings: settings.localSpeakers))
        let segmenting = BackgroundStage("edcontrol.segmentation", state: segmentingState)
        let embedding = BackgroundStage("edcontrol.voices", state: embeddingState)
        /// Hands a window to the embedding thread (nil: the audio has ended).
        @Sendable func embed(_ window: SegmentedAudio?) {
            embedding.submit { state in times.onThisThread("  voice embeddings (its thread)") { state.take(window) } }
        }
        @Sendable func segment(_ step: (WindowedSegmenter) throws -> [SegmentedAudio], _ state: inout SegmentingState) {
            guard state.failure == nil else { return }
            do {
                let segmenter = state.segmenter
                for window in try times.onThisThread("  speaker segmentation (its thread)", { try step(segmenter) }) { embed(window) }
            } catch {
                state.failure = error
            }
        }
        var prosodyFrames: [ProsodyFrame] = []
        var decodedSamples = 0
        let expected = max(media.durationSeconds, 1)
        do {
            try decoder.decode(url, chunkSeconds: 10) { chunk in
                if progress.isCancelled { throw AnalysisCancelled() }
                segmenting.submit { segment({ try $0.accept(chunk.samples) }, &$0) }
                prosodyFrames += times.onThisThread("  loudness and pitch (the audio's thread)") {
                    prosody.frames(of: SpeechSegment(startSample: chunk.startSample, samples: chunk.samples))
                }
                decodedSamples += chunk.samples.count
                progress.update(part: 0, stage: .listening, fraction: min(1, Double(decodedSamples) / Double(AudioFormat.sampleRate) / expected))
            }
            segmenting.submit { segment({ try $0.finish() }, &$0) }
        } catch {
            _ = segmenting.finish()
            _ = embedding.finish()
            throw error
        }
        let segmented = segmenting.finish()
        embed(nil)
        let embedded = embedding.finish()
        if let failure = segmented.failure { throw failure }
        let seconds = Double(decodedSamples) / Double(AudioFormat.sampleRate)
        if seconds < 1 { throw MediaError.tooShort(url.path, seconds: seconds) }
        // A file cut short can still decode without an error, up to the cut.
        let declared = media.durationSeconds
        if declared > 0, seconds < declared - max(5, 0.1 * declared) {
            throw MediaError.undecodable(url.path, detail: String(format: "only %.0f s of the %.0f s its header declares could be decoded", seconds, declared))
        }
        return Heard(windows: segmented.segmenter.windows, localSpeakers: embedded.localSpeakers,
                     frames: model.frames, prosody: prosodyFrames, decodedSamples: decodedSamples,
                     models: [configuration.models.speakerSegmentation, configuration.models.speakerEmbedding])
    }

    /// What the video thread owns: its analyzer, and what it found (or why it failed).
    private struct WatchingState {
        var result: Result<FacesSeen, Error>?
    }

    /// Starts the video half on its own thread; nil for a recording without video.
    /// - Parameter part: which part of `progress` the video is.
    private func watch(_ url: URL, media: MediaInfo, progress: CombinedProgress, part: Int, times: StageTimes) throws -> BackgroundStage<WatchingState>? {
        guard !media.video.isEmpty else { return nil }
        let analyzer = FaceAnalyzer(detector: try BlazeFaceDetector(modelPath: try verifiedPath(configuration.models.faceDetection), settings: settings.faces.detector),
                                    emotions: try MiniXceptionEmotionClassifier(modelPath: try verifiedPath(configuration.models.facialEmotion)),
                                    settings: settings.faces)
        let stage = BackgroundStage("edcontrol.faces", state: WatchingState())
        nonisolated(unsafe) let unsafeAnalyzer = analyzer  // used only on the stage's thread from here on
        stage.submit { state in
            state.result = Result {
                try unsafeAnalyzer.analyze(url, media: media, isCancelled: { progress.isCancelled }, times: times) {
                    progress.update(part: part, stage: .listening, fraction: $0)
                }
            }
        }
        return stage
    }

    private func transcribe(_ url: URL, turns: [SpeakerTurn], speakers: [Speaker], request: TranscriptionRequest,
                            progress: AnalysisProgress, times: StageTimes) throws -> Transcript {
        if case .off(let reason) = request { return .notAnalysed(reason) }
        guard let model = configuration.models.transcription else {
            return .notAnalysed(Transcript.Why.configurationPredatesTranscription)
        }
        progress.update(stage: .transcribing, fraction: 0)
        return try times.inThisProcess("transcribing") {
            // Transcription runs alone after the rest of the audio's work, so it may use every core.
            let transcriber = try WhisperTranscriber(modelPath: try verifiedPath(model), modelName: "\(model.id) \(model.version)",
                                                     threads: min(4, ProcessInfo.processInfo.activeProcessorCount))
            return try LessonTranscription(transcriber: transcriber, settings: settings.transcription ?? TranscriptionSettings(), decoder: decoder)
                .transcribe(url, turns: turns, speakers: speakers, request: request) { fraction in
                    if progress.isCancelled { throw AnalysisCancelled() }
                    progress.update(stage: .transcribing, fraction: fraction)
                }
        }
    }

    private func identifySpeakers(turns: [SpeakerTurn], centroids: [String: [Float]], profile: TeacherProfile?) -> [Speaker] {
        var talk: [String: Double] = [:]
        for turn in turns { talk[turn.speaker, default: 0] += turn.duration }
        return TeacherIdentification(settings: settings.teacher)
            .assignRoles(talkSeconds: talk, centroids: centroids, profile: profile)
    }

    private func makeVoiceActivityDetector() throws -> VoiceActivityDetecting {
        try SileroVoiceActivityDetector(modelPath: try verifiedPath(configuration.models.voiceActivity), settings: settings.voiceActivity)
    }

    private func makeEmbedder() throws -> SpeakerEmbedding {
        try GE2ESpeakerEmbedder(weightsURL: URL(fileURLWithPath: try verifiedPath(configuration.models.speakerEmbedding)),
                                settings: settings.embedding)
    }

    private func verifiedPath(_ pin: ModelReference) throws -> String { try registry.verifiedPath(of: pin) }

    private func checkCompatible(_ profile: TeacherProfile) throws {
        let current = configuration.models.speakerEmbedding
        guard profile.model.sha256 == current.sha256 else {
            throw ProfileError("The teacher profile was made with voice model \(profile.model.id) \(profile.model.version) (\(profile.model.sha256.prefix(12))…), but \(current.sha256.prefix(12))… is installed: voices cannot be compared across models. Enrol the teacher again.")
        }
    }
}
