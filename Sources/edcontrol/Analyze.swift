import ArgumentParser
import EdControlCore
import Foundation

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse a lesson recording and write report.json, report.html, diarization.rttm, timeline.vtt and incidents.csv.")

    @Argument(help: "The recording: mp4, mkv, webm, mov, wav, mp3, m4a or ogg.")
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

    @Option(name: .long, help: "Incident rules (JSON) to use instead of the built-in ones; see `edcontrol incident-rules`.")
    var incidentRules: String?

    @Option(name: .long, help: "Analysis configuration (JSON, any subset of what `edcontrol config` prints); --speakers and its kin override its speaker count.")
    var config: String?

    @Flag(name: .long, help: "No progress bar.")
    var quiet = false

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
    }

    func run() throws {
        try reportingErrors {
            var configuration = try config.map { try AnalysisConfiguration.load(from: URL(fileURLWithPath: $0)) } ?? AnalysisConfiguration()
            if let speakers {
                configuration.speakerCount = .exactly(speakers)
            } else if minSpeakers != nil || maxSpeakers != nil {
                configuration.speakerCount = SpeakerCountBounds(minimum: minSpeakers ?? configuration.speakerCount.minimum,
                                                                maximum: maxSpeakers ?? configuration.speakerCount.maximum)
            }
            let profile = try teacherProfile.map { try TeacherProfile.load(from: URL(fileURLWithPath: $0)) }
            let rules = try incidentRules.map { try IncidentRules.load(from: URL(fileURLWithPath: $0)) } ?? IncidentRules()
            let analyzer = LessonAnalyzer(models: try models.registry(), configuration: configuration, incidentRules: rules)
            let bar = ProgressBar(enabled: !quiet)
            let started = Date()
            let report = try analyzer.analyze(URL(fileURLWithPath: lesson), teacherProfile: profile, progress: bar)
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
            print("\(report.summary.flag.rawValue.uppercased()): \(report.summary.reason)")
            print("wrote \(output.appendingPathComponent(ReportWriter.reportFile).path), \(ReportWriter.rttmFile), \(ReportWriter.vttFile), \(ReportWriter.incidentsFile) and \(ReportWriter.htmlFile)")
        }
    }
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

struct PrintConfiguration: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the default analysis configuration (JSON), to edit and pass to `analyze --config`.")

    func run() {
        print(String(decoding: AnalysisConfiguration().json, as: UTF8.self))
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
