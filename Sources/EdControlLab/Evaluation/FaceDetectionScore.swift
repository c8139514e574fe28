import EdControlEngine
/// Face detection against labelled boxes: a detection is a hit when paired one-to-one with a
/// labelled face it overlaps with IoU ≥ `minimumIoU` (pairs chosen to maximise total IoU).
/// Detections of faces labelled "other" (side views, half hidden) count neither way.
public struct FaceDetectionScore: Sendable, Equatable {
    public var images = 0
    public var labelledFaces = 0
    public var detections = 0
    public var matched = 0
    /// Labelled faces at least the size of interest wide, and how many of them were found.
    public var largeFaces = 0
    public var largeFacesFound = 0

    public init() {}

    public var precision: Double { detections > 0 ? Double(matched) / Double(detections) : 1 }
    public var recall: Double { labelledFaces > 0 ? Double(matched) / Double(labelledFaces) : 1 }
    public var recallOfLargeFaces: Double { largeFaces > 0 ? Double(largeFacesFound) / Double(largeFaces) : 1 }
    public var falseDetectionsPerImage: Double { images > 0 ? Double(detections - matched) / Double(images) : 0 }

    /// Adds one image's result.
    public mutating func add(labelled: [FaceBox], detected found: [FaceBox], others: [FaceBox] = [], minimumIoU: Double = 0.5,
                             largeFaceSize: Double = 48) {
        let detected = found.filter { box in !others.contains { $0.intersectionOverUnion(box) >= minimumIoU } }
        let iou = labelled.map { label in detected.map { label.intersectionOverUnion($0) } }
        let hits = Assignment.maximumWeight(iou).filter { iou[$0.0][$0.1] >= minimumIoU }
        images += 1
        labelledFaces += labelled.count
        detections += detected.count
        matched += hits.count
        largeFaces += labelled.filter { $0.width >= largeFaceSize }.count
        largeFacesFound += hits.filter { labelled[$0.0].width >= largeFaceSize }.count
    }
}
