import CVisionBridge
import Foundation

/// An 8-bit grey image, rows packed.
public struct GrayImage: Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "pixel count must be width × height")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// OpenCV's Viola–Jones frontal-face cascade (Debian `opencv-data`): the baseline the DNN
/// detector is compared against.
public final class HaarFaceDetector {
    public static let defaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
    private let cascade: OpaquePointer
    public init(cascadePath: String = HaarFaceDetector.defaultCascade) throws {
        var error = BridgeError()
        guard let cascade = edc_cascade_load(cascadePath, &error.bytes, error.bytes.count) else {
            throw VisionError.detector(error.message)
        }
        self.cascade = cascade
    }

    deinit { edc_cascade_free(cascade) }

    public func detect(in image: GrayImage, minimumFaceSize: Int = 24) throws -> [FaceBox] {
        var error = BridgeError()
        var rects = [EdcRect](repeating: EdcRect(), count: 64)
        let found = image.pixels.withUnsafeBufferPointer { pixels in
            edc_cascade_detect(cascade, pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width),
                               Int32(minimumFaceSize), &rects, Int32(rects.count), &error.bytes, error.bytes.count)
        }
        guard found >= 0 else { throw VisionError.detector(error.message) }
        return rects.prefix(Int(min(found, Int32(rects.count)))).map {
            FaceBox(x: Double($0.x), y: Double($0.y), width: Double($0.width), height: Double($0.height))
        }
    }
}

extension HaarFaceDetector: FaceDetecting {
    /// The cascade gives no confidence: every face it reports scores 1.
    public func detect(in frame: VideoFrame, minimumFaceSize: Int) throws -> [DetectedFace] {
        try detect(in: frame.grayImage(), minimumFaceSize: minimumFaceSize).map { DetectedFace(box: $0, score: 1) }
    }
}
