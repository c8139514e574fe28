import CVisionBridge
import Foundation

/// A square region of a frame, as a network's input.
struct SquareRegion: Equatable {
    var x: Int
    var y: Int
    var side: Int

    /// The square around a box, `margin` of its size added on each side, centred on it.
    init(around box: FaceBox, margin: Double) {
        let side = max(box.width, box.height) * (1 + 2 * margin)
        self.init(x: Int((box.centerX - side / 2).rounded()), y: Int((box.centerY - side / 2).rounded()), side: max(1, Int(side.rounded())))
    }

    init(x: Int, y: Int, side: Int) {
        self.x = x
        self.y = y
        self.side = side
    }
}

extension VideoFrame {
    /// The picture as packed 8-bit RGB.
    public func rgbPixels() throws -> [UInt8] {
        switch pixels {
        case .rgb(let rgb):
            return rgb
        case .i420(let yuv):
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            var error = BridgeError()
            let status = yuv.withUnsafeBytes { yuv in
                rgb.withUnsafeMutableBufferPointer { out in
                    edc_i420_to_rgb(yuv.bindMemory(to: UInt8.self).baseAddress, Int32(width), Int32(height), out.baseAddress,
                                    &error.bytes, error.bytes.count)
                }
            }
            guard status == 0 else { throw VisionError.inference(error.message) }
            return rgb
        }
    }

    /// The picture as 8-bit grey (BT.601 luma, as OpenCV's cvtColor computes it from RGB).
    public func grayImage() throws -> GrayImage {
        let rgb = try rgbPixels()
        let gray = (0..<(width * height)).map { i in
            let r = UInt32(rgb[3 * i]), g = UInt32(rgb[3 * i + 1]), b = UInt32(rgb[3 * i + 2])
            return UInt8((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14)
        }
        return GrayImage(width: width, height: height, pixels: gray)
    }

    /// The region resized to `size`×`size` as planar floats `pixel * scale + shift`
    /// (RGB planes, or one grey plane), appended to `planes`. Outside the picture is black.
    func appendPlanes(of region: SquareRegion, size: Int, gray: Bool, scale: Float, shift: Float, to planes: inout [Float]) throws {
        let start = planes.count
        planes += repeatElement(0, count: (gray ? 1 : 3) * size * size)
        var error = BridgeError()
        func crop(_ bytes: UnsafeRawBufferPointer, _ layout: EdcPixelLayout) -> Int32 {
            planes.withUnsafeMutableBufferPointer { out in
                edc_crop_to_planes(bytes.bindMemory(to: UInt8.self).baseAddress, layout, Int32(width), Int32(height),
                                   Int32(region.x), Int32(region.y), Int32(region.side), Int32(size), gray ? 1 : 0,
                                   scale, shift, out.baseAddress! + start, &error.bytes, error.bytes.count)
            }
        }
        let status = switch pixels {
        case .rgb(let rgb): rgb.withUnsafeBytes { crop($0, EDC_PIXELS_RGB24) }
        case .i420(let yuv): yuv.withUnsafeBytes { crop($0, EDC_PIXELS_I420) }
        }
        guard status == 0 else { throw VisionError.inference(error.message) }
    }
}
