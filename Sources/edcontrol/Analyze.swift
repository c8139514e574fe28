import ArgumentParser
import EdControlEngine
import EdControlReports
import Foundation

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse a lesson recording and write report.json, report.html, diarization.rttm, timeline.vtt, incidents.csv and the transcript (transcript.txt, .vtt, .srt).")

    @Argument(help: "The recording: MP4, MOV, M4A, 3GP, MKV, WebM, AVI, MPEG-TS/PS, FLV, WMV/WMA, WAV, MP3, AAC, Ogg/Opus, FLAC or AMR.")
    var lesson: String

    @Option(name: .long, help: "Output directory.")
    var out: String

    @Option(name: .long, help: "Exact number of speakers, if known.")
    var speakers: Int?

    @Option(name: .long, help: "Fewest speakers to look for.")
    var minSpeakers: Int?

    @Option(name: .long, help: "Most speakers to look for.")
    var maxSpeakers: Int?

    @Option(name: .long, help: "Teacher voice profile made by `edcontrol enroll-teacher`.")
    var teacherProfile: String?

    @Option(name: .long, help: "Incident rules (JSON) to use instead of the configuration's; see `edcontrol incident-rules`.")
    var incidentRules: String?

    @Option(name: .long, help: "Analysis configuration (JSON: models, settings, incident rules; any subset of what `edcontrol config` prints); --speakers and its kin override its speaker count.")
    var config: String?

    @Option(name: .long, help: "The language spoken (ru, en, …), or auto to detect it.")
    var language = "auto"

    @Flag(name: .long, help: "Do not transcribe the speech.")
    var noTranscript = false

    @Flag(name: .long, help: "No progress bar.")
    var quiet = false

    @Flag(name: .long, help: "Print where the time went, stage by stage (seconds, and CPU seconds of the stage's threads).")
    var timings = false

    @OptionGroup var models: ModelOptions

    func validate() throws {
        if speakers != nil && (minSpeakers != nil || maxSpeakers != nil) {
            throw ValidationError("Give either --speakers or --min-speakers/--max-speakers, not both.")
        }
        for value in [speakers, minSpeakers, maxSpeakers].compactMap({ $0 }) where value < 1 || value > 20 {
            throw ValidationError("Speaker counts must be between 1 and 20.")
        }
        if let low = minSpeakers, let high = maxSpeakers, low > high {
            throw ValidationError("--min-speakers (\(low)) is larger than --max-speakers (\(high)).")
        }
        if language != "auto", !WhisperTranscriber.knows(language: language) {
            throw ValidationError("--language \(language): Whisper does not know this language; give an ISO 639-1 code such as ru or en, or auto.")
        }
    }

    private var transcription: TranscriptionRequest {
        if noTranscript { return .off(reason: Transcript.Why.switchedOffForAnalysis) }
        return language == "auto" ? .detectLanguage : .language(language)
    }

    func run() throws {
        try reportingErrors {
            let registry = try models.registry()
            let standard = AnalysisConfiguration.standard(installedIn: registry)
            var configuration = try config.map { try AnalysisConfiguration.load(from: URL(fileURLWithPath: $0), defaults: standard) } ?? standard
            if let speakers {
                configuration.settings.speakerCount = .exactly(speakers)
            } else if minSpeakers != nil || maxSpeakers != nil {
                let bounds = configuration.settings.speakerCount
                configuration.settings.speakerCount = SpeakerCountBounds(minimum: minSpeakers ?? bounds.minimum, maximum: maxSpeakers ?? bounds.maximum)
            }
            if let incidentRules { configuration.incidentRules = try IncidentRules.load(from: URL(fileURLWithPath: incidentRules)) }
            let profile = try teacherProfile.map { try TeacherProfile.load(from: URL(fileURLWithPath: $0)) }
            let analyzer = LessonAnalyzer(models: registry, configuration: configuration)
            let bar = ProgressBar(enabled: !quiet)
            let started = Date()
            let times = StageTimes()
            let report = try analyzer.analyze(URL(fileURLWithPath: lesson), teacherProfile: profile, transcription: transcription, progress: bar, times: times)
            bar.finish()
            let output = URL(fileURLWithPath: out)
            try ReportWriter(directory: output).write(report, media: URL(fileURLWithPath: lesson))
            let seconds = Date().timeIntervalSince(started)
            let m = report.talkMetrics
            let unsure = report.speakerCount?.note.map { " (\($0))" } ?? ""
            let heard = report.voice.note ?? String(format: "%d speakers%@, %d turns; teacher %.0f%%, students %.0f%%, overlap %.0f%%, silence %.0f%%",
                                                    report.speakers.count, unsure, report.turns.count,
                                                    m.teacherTalkPercent, m.studentTalkPercent, m.overlapPercent, m.silencePercent)
            let faces = report.video.tracks.count == 1 ? "1 face track" : "\(report.video.tracks.count) face tracks"
            print(String(format: "%@: %.1f min, %@; %@ (analysed in %.1f s, %.3f× real time)",
                         report.input.file, m.durationSeconds / 60, heard, faces, seconds,
                         seconds / max(m.durationSeconds, 1e-9)))
            if let teaching = report.teaching {
                print(String(format: "teaching: %d teacher questions (%.0f an hour; %d open, %d closed)%@, student words %@",
                             teaching.teacherQuestions, teaching.questionsPerHour, teaching.openQuestions, teaching.closedQuestions,
                             teaching.medianWaitSeconds.map { String(format: ", median wait %.1f s", $0) } ?? "",
                             teaching.studentWordShare.map { String(format: "%.0f%%", $0 * 100) } ?? "—"))
            }
            if let transcript = report.transcript {
                print(transcript.analysed
                      ? "transcript: \(transcript.language ?? "?"), \(transcript.segments.count) segments, \(transcript.segments.reduce(0) { $0 + ($1.words?.count ?? 0) }) words\(transcript.note.map { " (\($0))" } ?? "")"
                      : "no transcript: \(transcript.note ?? "")")
            }
            print("\(report.summary.flag.rawValue.uppercased()): \(report.summary.reason)")
            if timings { printTimes(times.all, totalSeconds: seconds) }
            print("wrote \(output.appendingPathComponent(ReportWriter.reportFile).path), \(ReportWriter.rttmFile), \(ReportWriter.vttFile), \(ReportWriter.incidentsFile), \(ReportWriter.htmlFile)"
                  + (report.transcript?.analysed == true ? " and \(ReportWriter.transcriptFiles.joined(separator: ", "))" : ""))
        }
    }
}

/// The stages' times as a table, with the whole analysis's last.
private func printTimes(_ entries: [StageTimes.Entry], totalSeconds: Double) {
    func row(_ name: String, _ seconds: String, _ cpu: String) {
        print(name.padding(toLength: 56, withPad: " ", startingAt: 0) + String(repeating: " ", count: max(0, 9 - seconds.count)) + seconds
              + String(repeating: " ", count: max(0, 9 - cpu.count)) + cpu)
    }
    row("stage", "seconds", "CPU s")
    for entry in entries { row(entry.stage, String(format: "%.2f", entry.wallSeconds), String(format: "%.2f", entry.cpuSeconds)) }
    row("whole analysis (with the reports written)", String(format: "%.2f", totalSeconds), String(format: "%.2f", StageTimes.processCPUSeconds()))
}

struct EnrollTeacher: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll-teacher",
        abstract: "Store a teacher's voice profile from a recording of them speaking alone.")

    @Argument(help: "A recording of the teacher alone (30 s or more of speech is best).")
    var sample: String

    @Option(name: .long, help: "Where to write the profile.")
    var out: String

    @OptionGroup var models: ModelOptions

    func run() throws {
        try reportingErrors {
            let analyzer = LessonAnalyzer(models: try models.registry())
            let profile = try analyzer.enrollTeacher(from: URL(fileURLWithPath: sample))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(profile).write(to: URL(fileURLWithPath: out), options: .atomic)
            print(String(format: "wrote %@ (%.1f s of speech)", out, profile.speechSeconds))
        }
    }
}

struct DetectSpeech: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect-speech",
        abstract: "Print the speech the silero VAD baseline finds in a recording, as RTTM (speaker 'speech'), for `eval vad`.")

    @Argument(help: "Recording (any format ffmpeg reads).")
    var input: String

    @OptionGroup var models: ModelOptions

    func run() throws {
        try reportingErrors {
            let url = URL(fileURLWithPath: input)
            let spans = try LessonAnalyzer(models: try models.registry()).detectSpeech(in: url)
            print(RTTM.render(spans.map { SpeakerTurn(start: $0.start, end: $0.end, speaker: "speech") },
                              recordingID: url.deletingPathExtension().lastPathComponent), terminator: "")
        }
    }
}

struct PrintConfiguration: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the default analysis configuration (JSON: the installed models by id and sha256, every setting, the incident rules), to edit and pass to `analyze --config` or `models register`.")

    @Option(name: .long, help: "Print this registered version instead (from --data), e.g. the champion's name from `models list`.")
    var version: String?

    @OptionGroup var models: ModelOptions
    @OptionGroup var dataOptions: DataOptions

    func run() async throws {
        if let version {
            let (_, store) = try await dataOptions.open()
            guard let found = try await store.configurationVersion(named: version) else {
                throw ValidationFailure(message: "no configuration named \(version) in \(dataOptions.data); `edcontrol models list --data \(dataOptions.data)` shows them.")
            }
            print(found.document)
        } else {
            let registry = try reportingErrors { try models.registry() }
            print(String(decoding: AnalysisConfiguration.standard(installedIn: registry).json, as: UTF8.self))
        }
    }
}

struct PrintIncidentRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident-rules",
        abstract: "Print the built-in incident rules (JSON), to edit and pass to `analyze --incident-rules`.")

    func run() {
        print(String(decoding: IncidentRules().json, as: UTF8.self))
    }
}

struct PrintVerbalLexicon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbal-lexicon",
        abstract: "Print the built-in lexicon of verbal incidents (JSON; docs/teaching-measures.md); an edited copy goes into a configuration as \"verbalLexicon\".")

    func run() {
        print(String(decoding: VerbalLexicon().json, as: UTF8.self))
    }
}
