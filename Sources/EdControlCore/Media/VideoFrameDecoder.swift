import Foundation

/// One sampled video frame, 8-bit RGB, rows packed.
public struct VideoFrame: Sendable {
    public var index: Int
    /// Seconds from the start of the recording.
    public var time: Double
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]

    public var gray: GrayImage {
        var pixels = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            // ITU-R BT.601 luma, as OpenCV's cvtColor computes it.
            let r = UInt32(rgb[3 * i]), g = UInt32(rgb[3 * i + 1]), b = UInt32(rgb[3 * i + 2])
            pixels[i] = UInt8((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14)
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }
}

/// Samples a recording's video at a fixed rate, downscaled, reading the file once.
public protocol VideoFrameDecoding: Sendable {
    func decode(_ url: URL, stream: MediaInfo.VideoStream, framesPerSecond: Double, maxWidth: Int,
                onFrame: (VideoFrame) throws -> Void) throws
}

/// ffmpeg decodes sequentially (seeking per frame is 100× slower), its `fps` filter picks
/// the frames, and the scaler shrinks them before they cross the pipe. ffmpeg applies
/// rotation metadata itself, so width and height are those of the picture as shown.
public struct FFmpegVideoFrameDecoder: VideoFrameDecoding {
    public init() {}

    /// The size frames come out at: at most `maxWidth` wide, aspect kept, even dimensions.
    public static func outputSize(of stream: MediaInfo.VideoStream, maxWidth: Int) -> (width: Int, height: Int) {
        let (width, height) = stream.rotated ? (stream.height, stream.width) : (stream.width, stream.height)
        guard width > 0, height > 0 else { return (0, 0) }
        let scale = min(1, Double(maxWidth) / Double(width))
        let even = { (value: Double) in max(2, Int((value / 2).rounded()) * 2) }
        return (even(Double(width) * scale), even(Double(height) * scale))
    }

    public func decode(_ url: URL, stream: MediaInfo.VideoStream, framesPerSecond: Double, maxWidth: Int,
                       onFrame: (VideoFrame) throws -> Void) throws {
        let (width, height) = Self.outputSize(of: stream, maxWidth: maxWidth)
        guard width > 0 else { throw MediaError.undecodable(url.path, detail: "the video stream has no picture size") }
        let frameBytes = width * height * 3
        var index = 0
        let result = try ExternalTool(name: "ffmpeg").stream([
            // Frames no other frame refers to (B-frames) are mostly not sampled: skipping
            // their decoding saves a third of the time on streams that have them, and
            // skipping the deblocking filter another tenth (measured); the models see frames
            // downscaled, where neither shows.
            "-nostdin", "-hide_banner", "-v", "error", "-skip_frame", "bidir", "-skip_loop_filter", "all", "-i", url.path, "-map", "0:v:0", "-an", "-sn",
            "-vf", "fps=\(framesPerSecond):round=near:eof_action=pass,scale=\(width):\(height):flags=area,format=rgb24",
            "-f", "rawvideo", "pipe:1",
        ], blockBytes: frameBytes) { block in
            guard block.count == frameBytes else { return }
            try onFrame(VideoFrame(index: index, time: Double(index) / framesPerSecond, width: width, height: height, rgb: [UInt8](block)))
            index += 1
        }
        if result.status != 0 {
            throw MediaError.undecodable(url.path, detail: FFprobe.explain(result.stderr))
        }
    }

    /// The first frame of a picture or video, e.g. one labelled photo.
    public func firstFrame(of url: URL, maxWidth: Int, probe: MediaProbing = FFprobe()) throws -> VideoFrame {
        guard let stream = try probe.probe(url).video.first else {
            throw MediaError.undecodable(url.path, detail: "it holds no picture")
        }
        var first: VideoFrame?
        try decode(url, stream: stream, framesPerSecond: 1, maxWidth: maxWidth) { if first == nil { first = $0 } }
        guard let first else { throw MediaError.undecodable(url.path, detail: "no frame could be decoded") }
        return first
    }
}
