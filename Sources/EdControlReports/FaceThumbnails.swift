import EdControlEngine
import Foundation
import Synchronization

/// One small picture per face track (`faces/F1.jpg`, 96 px high), cut by ffmpeg from the
/// recording at the second the face was seen largest, so a reviewer can tell who "F1" is.
/// They show minors' faces: they live with the lesson's results and go when its recording
/// goes (erasure and retention).
public enum FaceThumbnails {
    public static let folder = "faces"

    /// The file name of a track's picture.
    public static func file(of trackID: String) -> String { "\(trackID).jpg" }

    /// Writes a picture for each track into `directory/faces`; a track whose picture cannot
    /// be cut (a damaged frame) gets none, which pages show as a missing picture. The tracks'
    /// ffmpeg runs go at once, one per core: each decodes from the key frame before its second,
    /// and one after another they were the longest step after the analysis itself.
    public static func write(_ tracks: [FaceTrack], from media: URL, into directory: URL) throws {
        guard !tracks.isEmpty else { return }
        let faces = directory.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: faces, withIntermediateDirectories: true)
        let failure = Mutex<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: tracks.count) { index in
            do {
                try cut(tracks[index], from: media, to: faces.appendingPathComponent(file(of: tracks[index].id)))
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        if let failure = failure.withLock({ $0 }) { throw failure }
    }

    private static func cut(_ track: FaceTrack, from media: URL, to picture: URL) throws {
        guard let (second, box) = largest(track) else { return }
        // The face with a quarter of its size around it, within the picture.
        let margin = 0.25
        let x = max(0, box[0] - margin * box[2]), y = max(0, box[1] - margin * box[3])
        let width = min(1 - x, box[2] * (1 + 2 * margin)), height = min(1 - y, box[3] * (1 + 2 * margin))
        let crop = String(format: "crop=iw*%.4f:ih*%.4f:iw*%.4f:ih*%.4f,scale=-2:96", width, height, x, y)
        _ = try ExternalTool(name: "ffmpeg").run([
            "-v", "error", "-nostdin", "-y", "-ss", String(format: "%.2f", Double(second) + 0.5)] + AcceptedFormats.recordings.commandLineOptions + [
            "-i", AcceptedFormats.commandLineInput(media),
            "-frames:v", "1", "-vf", crop, "-q:v", "4", picture.path,
        ])
    }

    /// The second in which the face was seen largest, and its box.
    static func largest(_ track: FaceTrack) -> (Int, [Double])? {
        track.timeline.compactMap { second in second.box.flatMap { $0.count == 4 ? (second.t, $0) : nil } }
            .max { $0.1[2] * $0.1[3] < $1.1[2] * $1.1[3] }
    }
}
