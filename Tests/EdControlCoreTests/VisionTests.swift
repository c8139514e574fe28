import EdControlCore
import Foundation
import Testing

@Suite("Video frames and the OpenCV bridge")
struct VisionTests {
    static let graceHopper = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"

    /// Decodes the first frame of an image or video through the same frame decoder.
    private func firstFrame(_ path: String, maxWidth: Int = 1280) throws -> VideoFrame {
        let url = URL(fileURLWithPath: path)
        let stream = try #require(try FFprobe().probe(url).video.first)
        var frames: [VideoFrame] = []
        try FFmpegVideoFrameDecoder().decode(url, stream: stream, framesPerSecond: 1, maxWidth: maxWidth) { frames.append($0) }
        return try #require(frames.first)
    }

    @Test func samplesTwoFramesPerSecondDownscaled() throws {
        let dir = try Fixtures.temporaryDirectory()
        let video = dir.appendingPathComponent("clip.mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=5", "-c:v", "libx264", "-preset", "ultrafast", video.path])
        let stream = try #require(try FFprobe().probe(video).video.first)
        var frames: [VideoFrame] = []
        try FFmpegVideoFrameDecoder().decode(video, stream: stream, framesPerSecond: 2, maxWidth: 640) { frames.append($0) }
        #expect(frames.count == 10)
        #expect(frames.allSatisfy { $0.width == 640 && $0.height == 360 && $0.rgb.count == 640 * 360 * 3 })
        #expect(frames.map(\.time) == (0..<10).map { Double($0) / 2 })
        #expect(Set(frames.map(\.rgb)).count == 10, "testsrc2 changes every frame")
    }

    @Test func rotatedPhoneVideoComesOutUpright() throws {
        let dir = try Fixtures.temporaryDirectory()
        let plain = dir.appendingPathComponent("plain.mp4"), rotated = dir.appendingPathComponent("rotated.mov")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=2", "-c:v", "libx264", "-preset", "ultrafast", plain.path])
        try Fixtures.ffmpeg(["-i", plain.path, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated.path])
        let stream = try #require(try FFprobe().probe(rotated).video.first)
        #expect(stream.rotated && stream.width == 640)
        let frame = try firstFrame(rotated.path)
        #expect(frame.width == 360 && frame.height == 640, "portrait after rotation")
    }

    @Test func oddSizedVideoIsScaledToEvenDimensions() throws {
        let stream = MediaInfo.VideoStream(codec: "h264", width: 3840, height: 2161, framesPerSecond: 30, rotationDegrees: 0)
        let size = FFmpegVideoFrameDecoder.outputSize(of: stream, maxWidth: 960)
        #expect(size.width == 960 && size.height == 540)
    }

    @Test func haarBaselineFindsARealFace() throws {
        let frame = try firstFrame(Self.graceHopper)
        let faces = try HaarFaceDetector().detect(in: frame.gray)
        #expect(faces.count == 1, "\(faces)")
        // Grace Hopper's face in the 512×600 portrait: centred horizontally, upper half.
        let face = try #require(faces.first)
        #expect(face.width > 120 && face.width < 300)
        #expect(abs((face.x + face.width / 2) - 256) < 60)
        #expect(face.y + face.height / 2 < 300)
    }

    @Test func haarFindsNoFaceInATestPattern() throws {
        let dir = try Fixtures.temporaryDirectory()
        let image = dir.appendingPathComponent("pattern.png")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x360", "-frames:v", "1", image.path])
        #expect(try HaarFaceDetector().detect(in: firstFrame(image.path).gray).isEmpty)
    }

    @Test func bridgeReportsBadFilesInsteadOfCrashing() throws {
        let dir = try Fixtures.temporaryDirectory()
        let bogus = dir.appendingPathComponent("cascade.xml")
        try Data("<opencv_storage></opencv_storage>".utf8).write(to: bogus)
        #expect(throws: VisionError.self) { try HaarFaceDetector(cascadePath: bogus.path) }
        #expect(throws: VisionError.self) { try HaarFaceDetector(cascadePath: dir.appendingPathComponent("missing.xml").path) }
    }
}
