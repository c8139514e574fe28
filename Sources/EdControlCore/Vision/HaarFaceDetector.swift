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

    public func intersectionOverUnion(_ other: FaceBox) -> Double {
        let w = max(0, min(x + width, other.x + other.width) - max(x, other.x))
        let h = max(0, min(y + height, other.y + other.height) - max(y, other.y))
        let intersection = w * h
        let union = width * height + other.width * other.height - intersection
        return union > 0 ? intersection / union : 0
    }
}

/// OpenCV's Viola–Jones frontal-face cascade (Debian `opencv-data`): the baseline the DNN
/// detector is compared against.
public final class HaarFaceDetector {
    public static let defaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
    private let cascade: OpaquePointer
    public let minimumFaceSize: Int

    public init(cascadePath: String = HaarFaceDetector.defaultCascade, minimumFaceSize: Int = 24) throws {
        var error = BridgeError()
        guard let cascade = edc_cascade_load(cascadePath, &error.bytes, error.bytes.count) else {
            throw VisionError.detector(error.message)
        }
        self.cascade = cascade
        self.minimumFaceSize = minimumFaceSize
    }

    deinit { edc_cascade_free(cascade) }

    public func detect(in image: GrayImage) throws -> [FaceBox] {
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
