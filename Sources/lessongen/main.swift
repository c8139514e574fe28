import ArgumentParser
import EdControlEngine
import EdControlReports
import Foundation
import LessonSynthesis

/// Generates test lessons with exact ground truth (media + RTTM).
struct LessonGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lessongen",
        abstract: "Generate lesson recordings with exact speaker ground truth (RTTM).")

    @Option(name: .long, help: "Output directory.")
    var out: String

    @Option(name: .long, help: "Number of lessons.")
    var count = 1

    @Option(name: .long, help: "Seed of the first lesson (each next lesson uses seed+1).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Speakers per lesson (teacher included); a range like 2-5 varies it by seed.")
    var speakers = "2-5"

    @Option(name: .long, help: "Length of each lesson in seconds.")
    var duration = 300.0

    @Option(name: .long, help: "Background noise level in dBFS.")
    var noise = -45.0

    @Option(name: .long, help: "Voices: real-train (real people of the train split in an online call: codecs, rooms, level differences, backchannels, interruptions), real-test (the same with the test split's speakers: never tune on these), or classic (espeak-ng voices and a LibriVox reader; the only set with raised-voice episodes).")
    var voiceSet = VoiceSet.realTrain

    @Option(name: .long, help: "Classic voices by index into the pool (implies --voice-set classic), teacher first, e.g. 6,3 (overrides --speakers). Pool: \(Voice.pool.enumerated().map { "\($0.offset)=\($0.element)" }.joined(separator: ", "))")
    var voices: String?

    @Option(name: .long, help: "Chance (0–1) that a teacher turn is shouted; writes NAME.raised-voice.json with the planted episodes.")
    var raisedVoice = 0.0

    @Flag(name: .long, help: "Write MP4 with a video track instead of WAV.")
    var video = false

    @Option(name: .long, help: "Video layout: gallery (a tile per participant) or speaker-view (whoever speaks, full frame).")
    var layout = "gallery"

    @Option(name: .long, help: "With --video: plant this many facial episodes (the teacher looks negative for 6–12 s); writes NAME.facial-episodes.json.")
    var facialEpisodes = 0

    @Option(name: .long, help: "Instead of lessons, write this many labelled face-detection images and labels.json.")
    var faceScenes: Int?

    @Option(name: .long, help: "Instead of lessons, write OUT/report.json and its overview: this analysis report (report.json) repeated to --stretch-seconds with --stretch-incidents incidents (load tests).")
    var stretchReport: String?

    @Option(name: .long, help: "With --stretch-report: the long report's length in seconds.")
    var stretchSeconds = 10800.0

    @Option(name: .long, help: "With --stretch-report: how many incidents it has.")
    var stretchIncidents = 500

    @Option(name: .long, help: "Photos of real people (scripts/setup.sh --with-test-tools fetches them).")
    var photos = ".deps/photos"

    func validate() throws {
        if raisedVoice > 0 && voices == nil && voiceSet != .classic {
            throw ValidationError("--raised-voice needs synthetic voices: add --voice-set classic (real recordings cannot be made to shout)")
        }
    }

    func run() throws {
        if let stretchReport {
            let report = try JSONDecoder().decode(LessonReport.self, from: Data(contentsOf: URL(fileURLWithPath: stretchReport)))
            let long = LongReport.stretch(report, toSeconds: stretchSeconds, incidents: stretchIncidents)
            let directory = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // As ReportWriter leaves them: report.json, then its overview.
            try long.jsonData().write(to: directory.appendingPathComponent(ReportWriter.reportFile))
            try long.overview().jsonData().write(to: directory.appendingPathComponent(ReportWriter.overviewFile))
            print("wrote \(ReportWriter.reportFile) and \(ReportWriter.overviewFile) to \(out): \(Int(stretchSeconds)) s, \(long.turns.count) turns, "
                  + "\(long.video.tracks.count) face tracks, \(long.incidents.count) incidents")
            return
        }
        if let faceScenes {
            let images = try FaceSceneGenerator(photos: URL(fileURLWithPath: photos))
                .generate(count: faceScenes, seed: seed, into: URL(fileURLWithPath: out))
            print("wrote \(images.count) images with \(images.map(\.faces.count).reduce(0, +)) labelled frontal faces "
                  + "(and \(images.map(\.otherFaces.count).reduce(0, +)) others) and labels.json to \(out)")
            return
        }
        let bounds = speakers.split(separator: "-").compactMap { Int($0) }
        guard let low = bounds.first, let high = bounds.last, low >= 1, high >= low, high <= Voice.pool.count else {
            throw ValidationError("--speakers must be N or A-B with 1 ≤ A ≤ B ≤ \(Voice.pool.count)")
        }
        let directory = URL(fileURLWithPath: out)
        for index in 0..<count {
            let lessonSeed = seed + UInt64(index)
            var spec = LessonSpec(seed: lessonSeed, speakerCount: low + Int(lessonSeed % UInt64(high - low + 1)),
                                  durationSeconds: duration)
            spec.noiseDBFS = noise
            spec.withVideo = video
            guard let layout = VideoLayout(rawValue: layout) else {
                throw ValidationError("--layout must be one of \(VideoLayout.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            spec.videoLayout = layout
            spec.facialEpisodeCount = facialEpisodes
            spec.photos = URL(fileURLWithPath: photos)
            spec.raisedVoiceProbability = raisedVoice
            spec.voiceSet = voices == nil ? voiceSet : .classic
            if let voices {
                let indices = voices.split(separator: ",").compactMap { Int($0) }
                guard !indices.isEmpty, indices.allSatisfy(Voice.pool.indices.contains) else {
                    throw ValidationError("--voices takes indices 0…\(Voice.pool.count - 1) separated by commas")
                }
                spec.voices = indices.map { Voice.pool[$0] }
                spec.speakerCount = indices.count
            }
            let lesson = try LessonGenerator().generate(spec, into: directory, name: String(format: "lesson-%03d", lessonSeed))
            let voices = lesson.voices.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            let overlap = String(format: "%.1f", lesson.overlapShare * 100)
            print("\(lesson.media.path)\t\(spec.speakerCount) speakers\toverlap \(overlap) %\t\(voices)")
        }
    }
}

extension VoiceSet: ExpressibleByArgument {}

LessonGen.main()
