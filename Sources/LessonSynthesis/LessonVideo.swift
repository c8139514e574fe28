import EdControlEngine
import Foundation

/// How a generated lesson's video shows its people.
public enum VideoLayout: String, Sendable, CaseIterable {
    /// Every participant in a tile, all the time (a gallery of webcams).
    case gallery
    /// One participant full frame: whoever spoke last (the view switches with the speaker).
    case speakerView = "speaker-view"
}

/// Where one participant's face is in the generated video, and when it is on screen.
public struct PlacedFace: Codable, Sendable {
    public var speaker: String
    public var photo: String
    /// As fractions of the picture.
    public var box: FaceBox
    public var visible: [TimeSpan]
}

/// Films a generated lesson: each participant is a real person's photo whose mouth opens
/// and closes (about three times a second) while they speak, laid out as a gallery or a
/// speaker view, with a webcam's sensor noise (which also gives the H.264 stream a real
/// recording's bitrate, about 2 Mbit/s, and decoding cost). The faces' ground truth is
/// returned for the tests.
struct LessonVideo {
    static let size = (width: 1280, height: 720)
    static let framesPerSecond = 30

    let photos: [FacePhoto]

    /// - Parameter expressions: for some participants (by index), another photo of them shown
    ///   during the given spans (planted facial episodes).
    func film(audio: URL, turns: [SpeakerTurn], speakers: [String], duration: Double, layout: VideoLayout,
              expressions: [Int: (photo: FacePhoto, spans: [TimeSpan])] = [:], into media: URL) throws -> [PlacedFace] {
        precondition(photos.count >= 1)
        let cast = speakers.indices.map { photos[$0 % photos.count] }
        let talking = speakers.map { id in turns.filter { $0.speaker == id }.map(\.span) }
        var inputs: [String] = [], filters: [String] = []
        var placed: [PlacedFace] = []
        let tiles = layout == .gallery ? Self.grid(count: speakers.count) : speakers.map { _ in (0, 0, Self.size.width, Self.size.height) }
        let shown = layout == .gallery ? speakers.map { _ in [TimeSpan(start: 0, end: duration)] } : Self.speakerView(talking, duration: duration)
        filters.append("color=c=gray:s=\(Self.size.width)x\(Self.size.height):r=\(Self.framesPerSecond):d=\(duration)[base0]")
        // Each photo is decoded and framed once, then repeated (decoding it every frame
        // made filming four times slower).
        let still = ",loop=loop=-1:size=1,setpts=N/\(Self.framesPerSecond)/TB"
        func input(_ path: String) -> Int {
            inputs += ["-i", path]
            return inputs.count / 2 - 1
        }
        for (index, photo) in cast.enumerated() {
            let (x, y, w, h) = tiles[index]
            let (crop, face) = FaceSceneGenerator.crop(photo, aspect: Double(w) / Double(h), faceShare: 0.45, scaleTo: h)
            let source = input(photo.path)
            // The mouth: the lower third of the face, stretched down by a fifth while open.
            let mouth = (x: Int(face.x + face.width * 0.2), y: Int(face.y + face.height * 0.62),
                         w: Int(face.width * 0.6), h: Int(face.height * 0.3))
            let open = Self.enable(talking[index], blinking: true)
            if let expression = expressions[index] {
                let other = input(expression.photo.path)
                filters.append("[\(source):v]\(crop)\(still)[plain\(index)];[\(other):v]\(Self.aligned(expression.photo, to: face, width: w, height: h))\(still)[expressive\(index)]")
                filters.append("[plain\(index)][expressive\(index)]overlay=0:0:enable='\(Self.enable(expression.spans, blinking: false))',split[face\(index)][m\(index)]")
            } else {
                filters.append("[\(source):v]\(crop)\(still),split[face\(index)][m\(index)]")
            }
            filters.append("[m\(index)]crop=\(mouth.w):\(mouth.h):\(mouth.x):\(mouth.y),scale=\(mouth.w):\(mouth.h * 6 / 5)[mouth\(index)]")
            filters.append("[face\(index)][mouth\(index)]overlay=\(mouth.x):\(mouth.y):enable='\(open)'[tile\(index)]")
            filters.append("[base\(index)][tile\(index)]overlay=\(x):\(y):enable='\(Self.enable(shown[index], blinking: false))'[base\(index + 1)]")
            placed.append(PlacedFace(speaker: speakers[index], photo: photo.name,
                                     box: FaceBox(x: (face.x + Double(x)) / Double(Self.size.width), y: (face.y + Double(y)) / Double(Self.size.height),
                                                  width: face.width / Double(Self.size.width), height: face.height / Double(Self.size.height)),
                                     visible: shown[index]))
        }
        let audioInput = inputs.count / 2
        let status = try Process.runTool("ffmpeg", ["-nostdin", "-y", "-v", "error"] + inputs + ["-i", audio.path,
            "-filter_complex", filters.joined(separator: ";") + ";[base\(cast.count)]noise=alls=8:allf=t,format=yuv420p[video]",
            "-map", "[video]", "-map", "\(audioInput):a", "-t", String(format: "%.2f", duration),
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "aac", "-b:a", "96k", media.path])
        guard status == 0 else { throw GeneratorError("ffmpeg could not film \(media.lastPathComponent)") }
        return placed
    }

    /// A filter framing `photo` in a `width`×`height` tile so that its face covers `face`
    /// (the other photo's face there): scaled to the same face size, padded where the
    /// photo does not reach.
    static func aligned(_ photo: FacePhoto, to face: FaceBox, width: Int, height: Int) -> String {
        let scale = face.width / photo.face.width
        let left = photo.face.x * scale - face.x, top = photo.face.y * scale - face.y
        return String(format: "scale=%d:%d,pad=iw+%d:ih+%d:%d:%d:gray,crop=%d:%d:%.0f:%.0f,setsar=1,format=rgb24",
                      Int(Double(photo.width) * scale), Int(Double(photo.height) * scale), 2 * width, 2 * height, width, height,
                      width, height, left + Double(width), top + Double(height))
    }

    /// Tiles of a gallery in a 16:9 frame: 1×1, 2×1, 2×2 or 3×2.
    static func grid(count: Int) -> [(Int, Int, Int, Int)] {
        let columns = count <= 1 ? 1 : count <= 4 ? 2 : 3
        let rows = (count + columns - 1) / columns
        let w = size.width / columns, h = size.height / rows
        return (0..<count).map { ($0 % columns * w, $0 / columns * h, w, h) }
    }

    /// Who is on screen in speaker view: each speaker from their first word until someone
    /// else speaks; the teacher before anyone has.
    static func speakerView(_ talking: [[TimeSpan]], duration: Double) -> [[TimeSpan]] {
        let starts = talking.enumerated().flatMap { index, spans in spans.map { (start: $0.start, speaker: index) } }
            .sorted { $0.start < $1.start }
        var shown = talking.map { _ in [TimeSpan]() }
        var current = 0, since = 0.0
        for change in starts where change.speaker != current {
            if change.start > since { shown[current].append(TimeSpan(start: since, end: change.start)) }
            (current, since) = (change.speaker, change.start)
        }
        shown[current].append(TimeSpan(start: since, end: duration))
        return shown
    }

    /// An ffmpeg `enable` expression true inside the spans (and, when blinking, only in the
    /// first half of every third of a second: a mouth opening and closing).
    static func enable(_ spans: [TimeSpan], blinking: Bool) -> String {
        guard !spans.isEmpty else { return "0" }
        let inside = spans.map { String(format: "between(t,%.2f,%.2f)", $0.start, $0.end) }.joined(separator: "+")
        return blinking ? "(\(inside))*lt(mod(t,0.33),0.17)" : inside
    }
}
