import Foundation

/// A face's box in image pixels.
public struct FaceBox: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var centerX: Double { x + width / 2 }
    public var centerY: Double { y + height / 2 }

    public func intersectionOverUnion(_ other: FaceBox) -> Double {
        let w = max(0, min(x + width, other.x + other.width) - max(x, other.x))
        let h = max(0, min(y + height, other.y + other.height) - max(y, other.y))
        let intersection = w * h
        let union = width * height + other.width * other.height - intersection
        return union > 0 ? intersection / union : 0
    }

    /// The box in another pixel grid, `factor` times larger.
    public func scaled(by factor: Double) -> FaceBox {
        FaceBox(x: x * factor, y: y * factor, width: width * factor, height: height * factor)
    }
}

/// A point in image pixels.
public struct ImagePoint: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One face found in one image.
public struct DetectedFace: Sendable, Equatable {
    public var box: FaceBox
    /// The detector's confidence, 0–1.
    public var score: Double
    /// Where the mouth is, if the detector locates it (BlazeFace does).
    public var mouth: ImagePoint?

    public init(box: FaceBox, score: Double, mouth: ImagePoint? = nil) {
        self.box = box
        self.score = score
        self.mouth = mouth
    }
}

/// Finds faces in a video frame.
public protocol FaceDetecting {
    /// Faces at least `minimumFaceSize` pixels (of this frame) wide.
    func detect(in frame: VideoFrame, minimumFaceSize: Int) throws -> [DetectedFace]
}

extension Array where Element == DetectedFace {
    /// Weighted non-maximum suppression (as MediaPipe does it): each face that overlaps a
    /// stronger one by more than `overlap` IoU is merged into it, the boxes averaged by score,
    /// which steadies boxes that several anchors or windows found.
    public func mergingOverlaps(above overlap: Double) -> [DetectedFace] {
        var remaining = sorted { $0.score > $1.score }
        var merged: [DetectedFace] = []
        while let best = remaining.first {
            let group = remaining.filter { $0.box.intersectionOverUnion(best.box) > overlap }
            remaining.removeAll { $0.box.intersectionOverUnion(best.box) > overlap }
            let total = group.reduce(0) { $0 + $1.score }
            func average(_ value: (DetectedFace) -> Double) -> Double { group.reduce(0) { $0 + value($1) * $1.score } / total }
            let mouths = group.compactMap { face in face.mouth.map { ($0, face.score) } }
            let mouthWeight = mouths.reduce(0) { $0 + $1.1 }
            merged.append(DetectedFace(
                box: FaceBox(x: average { $0.box.x }, y: average { $0.box.y }, width: average { $0.box.width }, height: average { $0.box.height }),
                score: best.score,
                mouth: mouths.isEmpty ? nil : ImagePoint(x: mouths.reduce(0) { $0 + $1.0.x * $1.1 } / mouthWeight,
                                                          y: mouths.reduce(0) { $0 + $1.0.y * $1.1 } / mouthWeight)))
        }
        return merged
    }
}
