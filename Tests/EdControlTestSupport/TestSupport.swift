import EdControlEngine
import Foundation
import LessonSynthesis
import Testing

/// Paths and shared fixtures for the tests. Everything is made at test time from real
/// tools (ffmpeg, espeak-ng) and real media from Debian packages.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let python = repository.appendingPathComponent(".deps/venv/bin/python").path
    static let wheels = repository.appendingPathComponent(".deps/wheels").path

    static let librivox = ["0870", "0880", "0890", "0920", "0930"].map {
        "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-\($0).wav"
    }

    static func registry() throws -> ModelRegistry { try ModelRegistry() }

    /// For the engine's tests of voices and faces: transcription is most of an analysis's
    /// time on these recordings, and transcripts are tested on real speech of their own.
    static let withoutWords = TranscriptionRequest.off(reason: "this test checks voices and faces, not words")

    static var isOtherBuild: Bool { ProcessInfo.processInfo.environment["EDCONTROL_BINARY"].map { !$0.isEmpty } ?? false }

    /// The `edcontrol` executable built next to the test bundle, or the one `EDCONTROL_BINARY`
    /// names: another build's (an earlier commit's, to see the dashboard before a change).
    static let edcontrol: String = {
        if isOtherBuild { return ProcessInfo.processInfo.environment["EDCONTROL_BINARY"]! }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("edcontrol").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("edcontrol").path
    }()

    /// This run's scratch folder; folders of earlier runs whose process has ended are removed
    /// when it is first used (a run still going on, in another clone, keeps its own).
    static let scratch: URL = {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("edcontrol-tests")
        let mine = "run-\(getpid())"
        for old in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where old != mine {
            if let pid = Int32(old.dropFirst("run-".count)), kill(pid, 0) == 0 { continue }  // still running
            try? FileManager.default.removeItem(at: base.appendingPathComponent(old))
        }
        return base.appendingPathComponent(mine)
    }()

    static func temporaryDirectory(_ name: String = #function) throws -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = scratch.appendingPathComponent("\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a command and returns its exit status, standard output and standard error.
    @discardableResult
    /// Runs a program to its end; `environment` adds to (or replaces in) this process's.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        // Outputs go to files: no pipe can fill up and block the child.
        let scratch = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        process.standardInput = FileHandle.nullDevice
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
    }

    /// ffmpeg with the given arguments; fails the test if it fails.
    static func ffmpeg(_ arguments: [String]) throws {
        let result = try run("ffmpeg", ["-nostdin", "-y", "-v", "error"] + arguments)
        #expect(result.status == 0, "ffmpeg failed: \(result.stderr)")
    }

    /// A real three-part conversation in English: a LibriVox reader, a telephone voice, the
    /// reader again, with pauses (from scripts/data/asr-real-speech.sh); each part's span and
    /// reference text. Made once per test run.
    static func realConversation() throws -> (url: URL, parts: [(span: TimeSpan, text: String)]) {
        let corpus = repository.appendingPathComponent(".deps/corpora/asr-real-speech")
        let names = ["en-librivox-austen-0870", "en-asterisk-allison-vm-rec-name", "en-librivox-austen-0880"]
        let url = scratch.appendingPathComponent("real-conversation.wav")
        var inputs: [String] = [], filter = "", start = 0.0
        var parts: [(span: TimeSpan, text: String)] = []
        for (index, name) in names.enumerated() {
            let wav = corpus.appendingPathComponent("\(name).wav")
            inputs += ["-i", wav.path, "-f", "lavfi", "-t", "1.5", "-i", "anullsrc=r=16000:cl=mono"]
            filter += "[\(2 * index)][\(2 * index + 1)]"
            let seconds = try FFprobe().probe(wav).durationSeconds
            parts.append((TimeSpan(start: start, end: start + seconds), try String(contentsOf: corpus.appendingPathComponent("\(name).txt"), encoding: .utf8)))
            start += seconds + 1.5
        }
        try conversationLock.withLock {
            guard !FileManager.default.fileExists(atPath: url.path) else { return }
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let partial = scratch.appendingPathComponent("real-conversation.partial.wav")
            try ffmpeg(inputs + ["-filter_complex", filter + "concat=n=\(2 * names.count):v=0:a=1", "-ar", "16000", "-ac", "1", partial.path])
            try FileManager.default.moveItem(at: partial, to: url)
        }
        return (url, parts)
    }
    private static let conversationLock = NSLock()

    /// Photos of real people (scripts/setup.sh fetches them).
    static let photos = repository.appendingPathComponent(".deps/photos")
    /// Videos of real people, and labelled expressions (scripts/setup.sh fetches them).
    static let videos = repository.appendingPathComponent(".deps/videos")
    static let expressions = photos.appendingPathComponent("expressions/labels.json")

    /// A filmed lesson of a minute and a half: two real voices, raised now and then, and a
    /// face that turns angry, so that its analysis has incidents to review and its
    /// transcript has lines.
    static func filmedLessonWithIncidents(name: String) throws -> GeneratedLesson {
        var spec = LessonSpec(seed: 74, speakerCount: 2, durationSeconds: 90)
        spec.voices = [Voice.pool[0], Voice.pool[3]]
        spec.raisedVoiceProbability = 0.4
        spec.withVideo = true
        spec.facialEpisodeCount = 1
        spec.photos = photos
        return try LessonGenerator().generate(spec, into: try temporaryDirectory("filmed-lesson"), name: name)
    }

    /// A generated lesson, made once per (seed, speakers, duration, video, layout, facial
    /// episodes) per test run.
    static func lesson(seed: UInt64, speakers: Int, duration: Double, video: Bool = false,
                       layout: VideoLayout = .gallery, facialEpisodes: Int = 0) throws -> GeneratedLesson {
        try LessonCache.shared.lesson(seed: seed, speakers: speakers, duration: duration, video: video, layout: layout,
                                      facialEpisodes: facialEpisodes)
    }
}

private final class LessonCache: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    static let shared = LessonCache()
    private let lock = NSLock()
    private var made: [String: GeneratedLesson] = [:]
    private let directory = Fixtures.scratch.appendingPathComponent("lessons")

    func lesson(seed: UInt64, speakers: Int, duration: Double, video: Bool, layout: VideoLayout, facialEpisodes: Int) throws -> GeneratedLesson {
        try lock.withLock {
            let key = "lesson-s\(seed)-n\(speakers)-d\(Int(duration))" + (video ? "-\(layout.rawValue)-e\(facialEpisodes)" : "")
            if let lesson = made[key] { return lesson }
            var spec = LessonSpec(seed: seed, speakerCount: speakers, durationSeconds: duration)
            spec.voiceSet = .classic
            spec.withVideo = video
            spec.videoLayout = layout
            spec.facialEpisodeCount = facialEpisodes
            spec.photos = Fixtures.photos
            let lesson = try LessonGenerator().generate(spec, into: directory, name: key)
            made[key] = lesson
            return lesson
        }
    }
}
