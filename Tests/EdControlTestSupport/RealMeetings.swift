import EdControlEngine
import EdControlReports
import Foundation

/// The shared real meetings (train split; see its MANIFEST): far-field, 3–4 speakers, overlap.
enum RealMeetings {
    static let folder = Fixtures.repository.deletingLastPathComponent().appendingPathComponent("shared/data/real-meetings-dev")
    static let names = ["trn00", "trn04", "trn05", "trn06", "trn07", "trn08", "trn09"]
    static func audio(_ name: String) -> URL { folder.appendingPathComponent("\(name).wav") }
    static func reference(_ name: String) throws -> [SpeakerTurn] {
        try RTTM.parse(String(contentsOf: folder.appendingPathComponent("\(name).rttm"), encoding: .utf8))
    }

    /// 16 kHz mono samples of the clip, decoded by ffmpeg.
    static func samples(_ name: String) throws -> [Float] {
        var samples: [Float] = []
        try FFmpegAudioDecoder().decode(audio(name), chunkSeconds: 10) { samples += $0.samples }
        return samples
    }
}
