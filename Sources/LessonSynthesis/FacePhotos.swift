import EdControlEngine
import Foundation

/// A photo of a real person from a package, with its face's box (checked by eye).
public struct FacePhoto: Sendable {
    public var name: String
    public var path: String
    public var width: Int
    public var height: Int
    public var face: FaceBox
    /// The expression, where it is unambiguous.
    public var emotion: Emotion?
    /// False for faces seen from the side or half hidden: scored as "don't care".
    public var frontal = true
    /// Another photo of the same person, framed alike, with a negative-looking expression:
    /// what planted facial episodes switch to.
    public var negativeVariant: String?

    /// The photos set up by `scripts/setup.sh --with-test-tools` in `.deps/photos`, and
    /// matplotlib's sample photo from Debian.
    public static func catalogue(photos directory: URL) -> [FacePhoto] {
        func photo(_ file: String, _ size: (Int, Int), _ box: (Double, Double, Double, Double), _ emotion: Emotion?,
                   frontal: Bool = true, negativeVariant: String? = nil) -> FacePhoto {
            FacePhoto(name: (file as NSString).deletingPathExtension, path: directory.appendingPathComponent(file).path,
                      width: size.0, height: size.1, face: FaceBox(x: box.0, y: box.1, width: box.2, height: box.3), emotion: emotion,
                      frontal: frontal, negativeVariant: negativeVariant)
        }
        return [
            FacePhoto(name: "grace_hopper", path: "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
                      width: 512, height: 600, face: FaceBox(x: 169, y: 147, width: 197, height: 197), emotion: .neutral),
            photo("astronaut.png", (512, 512), (173, 67, 106, 106), .happy),       // scikit-image
            photo("camera.png", (512, 512), (203, 124, 70, 70), nil, frontal: false), // scikit-image, grey, half profile behind a camera
            photo("obama.jpg", (910, 1137), (345, 126, 281, 281), .happy),         // face_recognition tests
            photo("obama2.jpg", (626, 1200), (140, 276, 348, 348), nil),           // speaking
            // Speaking forcefully, brows drawn: fer reads it as angry (0.85).
            photo("obama3.jpg", (1434, 2333), (647, 295, 311, 311), nil, negativeVariant: "obama2"),
            photo("biden.jpg", (970, 2204), (427, 231, 313, 313), nil),
        ]
    }

    /// Photos without any face, for counting false detections.
    public static func faceless(photos directory: URL) -> [String] {
        ["chelsea.png", "coffee.png", "rocket.jpg"].map { directory.appendingPathComponent($0).path }
    }
}

/// One labelled image of the face-detection set.
public struct LabelledFaceImage: Codable, Sendable {
    public var image: String
    /// Frontal faces: each should be found.
    public var faces: [FaceBox]
    /// Faces seen from the side or half hidden: finding them is neither required nor wrong.
    public var otherFaces: [FaceBox]
}

/// Builds a labelled face-detection set from the photos: single portraits, galleries of 2–16
/// webcam-like tiles (faces 40–200 px in 1280×720), single small faces on a busy background,
/// and faceless pictures, some darkened, blurred or heavily compressed as webcams are.
public struct FaceSceneGenerator {
    public let photos: [FacePhoto]
    public let faceless: [String]

    public init(photos directory: URL) {
        photos = FacePhoto.catalogue(photos: directory)
        faceless = FacePhoto.faceless(photos: directory)
    }

    static let canvas = (width: 1280, height: 720)

    public func generate(count: Int, seed: UInt64, into directory: URL) throws -> [LabelledFaceImage] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var random = SeededRandom(seed: seed)
        var labelled: [LabelledFaceImage] = []
        for index in 0..<count {
            let name = String(format: "scene-%03d.jpg", index)
            let kind = index % 5
            let (inputs, filter, faces): ([String], String, [(FaceBox, Bool)])
            switch kind {
            case 0: (inputs, filter, faces) = portrait(&random)
            case 1, 2: (inputs, filter, faces) = gallery(columns: [2, 3, 4][random.next(below: 3)], &random)
            case 3: (inputs, filter, faces) = smallFace(&random)
            default: (inputs, filter, faces) = (["-i", faceless[random.next(below: faceless.count)]],
                                                "[0:v]scale=\(Self.canvas.width):\(Self.canvas.height)[scene]", [])
            }
            let look = ["null", "eq=brightness=-0.25:contrast=0.8", "gblur=sigma=1.2", "null"][random.next(below: 4)]
            let quality = random.nextUnit() < 0.3 ? "20" : "3"
            let status = try Process.runTool("ffmpeg", ["-nostdin", "-y", "-v", "error"] + inputs
                                             + ["-filter_complex", filter + ";[scene]\(look),format=yuvj420p[out]", "-map", "[out]",
                                                "-frames:v", "1", "-q:v", quality, directory.appendingPathComponent(name).path])
            guard status == 0 else { throw GeneratorError("ffmpeg could not compose \(name)") }
            labelled.append(LabelledFaceImage(image: name, faces: faces.filter(\.1).map(\.0), otherFaces: faces.filter { !$0.1 }.map(\.0)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(labelled).write(to: directory.appendingPathComponent("labels.json"))
        return labelled
    }

    /// One photo, whole, fitted into the canvas.
    private func portrait(_ random: inout SeededRandom) -> ([String], String, [(FaceBox, Bool)]) {
        let photo = photos[random.next(below: photos.count)]
        let scale = min(Double(Self.canvas.width) / Double(photo.width), Double(Self.canvas.height) / Double(photo.height))
        let (w, h) = (Int(Double(photo.width) * scale), Int(Double(photo.height) * scale))
        let (x, y) = ((Self.canvas.width - w) / 2, (Self.canvas.height - h) / 2)
        let face = FaceBox(x: Double(x) + photo.face.x * Double(w) / Double(photo.width), y: Double(y) + photo.face.y * Double(h) / Double(photo.height),
                           width: photo.face.width * Double(w) / Double(photo.width), height: photo.face.height * Double(h) / Double(photo.height))
        return (["-i", photo.path], "[0:v]scale=\(w):\(h),pad=\(Self.canvas.width):\(Self.canvas.height):\(x):\(y):gray[scene]", [(face, photo.frontal)])
    }

    /// A grid of tiles, each a crop around one face (face 25–50 % of the tile's height).
    private func gallery(columns: Int, _ random: inout SeededRandom) -> ([String], String, [(FaceBox, Bool)]) {
        let rows = columns
        let tileW = Self.canvas.width / columns, tileH = Self.canvas.height / rows
        var inputs: [String] = [], parts: [String] = [], faces: [(FaceBox, Bool)] = []
        for tile in 0..<(columns * rows) {
            let photo = photos[random.next(below: photos.count)]
            let (crop, face) = Self.crop(photo, aspect: Double(tileW) / Double(tileH), faceShare: random.uniform(0.25, 0.5), scaleTo: tileH)
            inputs += ["-i", photo.path]
            let (x, y) = (tile % columns * tileW, tile / columns * tileH)
            parts.append("[\(tile):v]\(crop)[t\(tile)]")
            faces.append((FaceBox(x: face.x + Double(x), y: face.y + Double(y), width: face.width, height: face.height), photo.frontal))
        }
        let layout = (0..<(columns * rows)).map { "\($0 % columns * tileW)_\($0 / columns * tileH)" }.joined(separator: "|")
        let stack = (0..<(columns * rows)).map { "[t\($0)]" }.joined() + "xstack=inputs=\(columns * rows):layout=\(layout):fill=gray,"
            + "pad=\(Self.canvas.width):\(Self.canvas.height):0:0:gray[scene]"
        return (inputs, parts.joined(separator: ";") + ";" + stack, faces)
    }

    /// One face 40–64 px wide somewhere on a faceless picture.
    private func smallFace(_ random: inout SeededRandom) -> ([String], String, [(FaceBox, Bool)]) {
        let photo = photos[random.next(below: photos.count)]
        let side = Int(random.uniform(40, 64) / 0.4)
        let (crop, face) = Self.crop(photo, aspect: 1, faceShare: 0.4, scaleTo: side)
        let x = random.next(below: Self.canvas.width - side), y = random.next(below: Self.canvas.height - side)
        let background = faceless[random.next(below: faceless.count)]
        return (["-i", background, "-i", photo.path],
                "[0:v]scale=\(Self.canvas.width):\(Self.canvas.height)[bg];[1:v]\(crop)[face];[bg][face]overlay=\(x):\(y)[scene]",
                [(FaceBox(x: face.x + Double(x), y: face.y + Double(y), width: face.width, height: face.height), photo.frontal)])
    }

    /// An ffmpeg filter that crops `photo` around its face to `aspect` (width / height), with
    /// the face `faceShare` of the crop's height, scaled to `scaleTo` pixels high; and the
    /// face's box in the result.
    static func crop(_ photo: FacePhoto, aspect: Double, faceShare: Double, scaleTo height: Int) -> (String, FaceBox) {
        var cropH = min(photo.face.height / faceShare, Double(photo.height), Double(photo.width) / aspect)
        cropH = max(cropH, photo.face.height)
        let cropW = cropH * aspect
        let x = min(max(0, photo.face.centerX - cropW / 2), Double(photo.width) - cropW)
        let y = min(max(0, photo.face.centerY - cropH / 2), Double(photo.height) - cropH)
        let scale = Double(height) / cropH
        let width = Int((cropW * scale).rounded())
        let filter = String(format: "crop=%.0f:%.0f:%.0f:%.0f,scale=%d:%d,setsar=1,format=rgb24", cropW, cropH, x, y, width, height)
        return (filter, FaceBox(x: (photo.face.x - x) * scale, y: (photo.face.y - y) * scale,
                                width: photo.face.width * scale, height: photo.face.height * scale))
    }
}
