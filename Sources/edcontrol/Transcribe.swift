import ArgumentParser
import EdControlEngine
import Foundation

struct Transcribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcribe recordings with Whisper (in-process, whisper.cpp), detecting each one's language unless given.",
        discussion: "With --out DIR each recording's text goes to DIR/NAME.txt, which `edcontrol eval wer --hyp DIR` scores.")

    @Argument(help: "Recordings (anything ffmpeg reads).")
    var files: [String]

    @Option(name: .long, help: "The language spoken (ru, en, …) or auto to detect it per recording.")
    var language = "auto"

    @Option(name: .long, help: "Folder for NAME.txt transcripts.")
    var out: String?

    @Option(name: .long, help: "Threads whisper.cpp uses.")
    var threads = 2

    @Option(name: .long, help: "The installed speech-to-text model to use (`edcontrol models list` names them).")
    var model = WhisperTranscriber.modelID

    @OptionGroup var models: ModelOptions

    func run() throws {
        let transcriber = try reportingErrors { try WhisperTranscriber(models: try models.registry(), id: model, threads: threads) }
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        for file in files {
            let url = URL(fileURLWithPath: file)
            let samples = try reportingErrors { try FFmpegAudioDecoder().samples(of: url) }
            let started = Date()
            let (code, probability) = language == "auto"
                ? try reportingErrors { try transcriber.detectLanguage(samples) } : (language, 1)
            let segments = try reportingErrors { try transcriber.transcribe(samples, language: code) }
            let text = segments.map(\.text).joined(separator: " ")
            let seconds = Double(samples.count) / Double(AudioFormat.sampleRate)
            print(String(format: "%@ [%@ %.2f, %.1f s of audio in %.1f s]: %@", url.lastPathComponent, code, probability, seconds,
                         Date().timeIntervalSince(started), text))
            if let out {
                try (text + "\n").write(toFile: "\(out)/\(url.deletingPathExtension().lastPathComponent).txt", atomically: true, encoding: .utf8)
            }
        }
    }
}
