@testable import EdControlTestSupport
@testable import EdControlEngine
import Foundation
import Testing

@Suite("Video frames and the OpenCV bridge")
struct VisionTests {
    static let graceHopper = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"

    /// Decodes the first frame of an image or video through the same frame decoder.
    private func firstFrame(_ path: String, maxWidth: Int = 1280) throws -> VideoFrame {
        try FFmpegVideoFrameDecoder().firstFrame(of: URL(fileURLWithPath: path), maxWidth: maxWidth)
    }

    @Test func samplesTwoFramesPerSecondDownscaled() throws {
        let dir = try Fixtures.temporaryDirectory()
        let video = dir.appendingPathComponent("clip.mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=5", "-c:v", "libx264", "-preset", "ultrafast", video.path])
        var frames: [VideoFrame] = []
        try FFmpegVideoFrameDecoder().decode(video, media: try FFprobe().probe(video), framesPerSecond: 2, maxWidth: 640) { frames.append($0) }
        #expect(frames.count == 10)
        #expect(try frames.allSatisfy { try $0.width == 640 && $0.height == 360 && $0.rgbPixels().count == 640 * 360 * 3 })
        #expect(frames.map(\.time) == (0..<10).map { Double($0) / 2 })
        #expect(Set(try frames.map { try $0.rgbPixels() }).count == 10, "testsrc2 changes every frame")
    }

    /// A 130-second video with a key frame every 2 s, so cuts at key frames fall on the
    /// half-second grid of the samples.
    private func longVideo() throws -> (url: URL, media: MediaInfo) {
        let video = try Fixtures.temporaryDirectory().appendingPathComponent("long-\(UUID().uuidString).mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=130", "-c:v", "libx264",
                             "-preset", "ultrafast", "-g", "60", video.path])
        return (video, try FFprobe().probe(video))
    }

    /// Pieces of a long video decoded on two threads at once give exactly the frames, times
    /// and pixels of one pass through it.
    @Test func piecesDecodedInParallelGiveTheFramesOfOnePass() throws {
        let (video, media) = try longVideo()
        #expect(try VideoSampler.keyFrames(in: video, formats: .recordings, atOrBefore: [61, 95.5]) == [60, 94])
        let inPieces = FFmpegVideoFrameDecoder(segmentSeconds: 30, parallelism: 2)
        #expect(inPieces.segments(of: video, media: media).map(\.start) == [0, 32, 64, 96])
        var onePass: [VideoFrame] = [], pieces: [VideoFrame] = []
        try FFmpegVideoFrameDecoder(parallelism: 1).decode(video, media: media, framesPerSecond: 2, maxWidth: 320) { onePass.append($0) }
        try inPieces.decode(video, media: media, framesPerSecond: 2, maxWidth: 320) { pieces.append($0) }
        #expect(onePass.count == 260)
        #expect(pieces.map(\.index) == Array(0..<260))
        #expect(pieces.map(\.time) == onePass.map(\.time))
        let different = try zip(onePass, pieces).filter { try $0.rgbPixels() != $1.rgbPixels() }.map(\.0.time)
        #expect(different.isEmpty, "frames that differ at \(different)")
    }

    /// A consumer that stops early stops every decoder, also those decoding ahead: none keeps
    /// the file open.
    @Test func stoppingEarlyLeavesNoDecoderRunning() throws {
        struct Enough: Error {}
        let (video, media) = try longVideo()
        #expect(throws: Enough.self) {
            try FFmpegVideoFrameDecoder(segmentSeconds: 30, parallelism: 2).decode(video, media: media, framesPerSecond: 2, maxWidth: 320) { frame in
                if frame.time >= 40 { throw Enough() }
            }
        }
        func openedCopies() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { fd in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) == video.path
            }.count
        }
        var open = try openedCopies()
        for _ in 0..<50 where open > 0 {
            Thread.sleep(forTimeInterval: 0.1)
            open = try openedCopies()
        }
        #expect(open == 0, "\(open) decoders still hold the video open")
    }

    /// Sampling in-process gives the frames ffmpeg's command line gives with the same filters,
    /// pixel for pixel, also for a phone video with a rotation and a variable frame rate.
    @Test func framesAreThoseOfFFmpegsCommandLine() throws {
        let dir = try Fixtures.temporaryDirectory()
        let plain = dir.appendingPathComponent("vfr.mkv"), rotated = dir.appendingPathComponent("phone.mov")
        // Frames at irregular times: testsrc2 at 30 fps with every frame whose number is a
        // multiple of 3 or 7 dropped.
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=6", "-vf", "select='not(mod(n,3))+not(mod(n,7))'",
                             "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", plain.path])
        try Fixtures.ffmpeg(["-i", plain.path, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated.path])
        for video in [plain, rotated] {
            let media = try FFprobe().probe(video)
            var frames: [VideoFrame] = []
            try FFmpegVideoFrameDecoder(parallelism: 1, pixelFormat: .rgb24).decode(video, media: media, framesPerSecond: 2, maxWidth: 320) {
                frames.append($0)
            }
            let (width, height) = FFmpegVideoFrameDecoder.outputSize(of: try #require(media.video.first), maxWidth: 320)
            let raw = dir.appendingPathComponent("\(video.lastPathComponent).rgb")
            try Fixtures.ffmpeg(["-skip_frame", "bidir", "-skip_loop_filter", "all", "-i", video.path,
                                 "-vf", "fps=2:round=near:eof_action=pass,scale=\(width):\(height):flags=fast_bilinear,format=rgb24",
                                 "-f", "rawvideo", raw.path])
            let reference = try Data(contentsOf: raw)
            #expect(frames.count >= 11 && reference.count == frames.count * width * height * 3,
                    "\(video.lastPathComponent): \(frames.count) frames, ffmpeg gave \(reference.count / (width * height * 3))")
            #expect(Data(try frames.flatMap { try $0.rgbPixels() }) == reference, "\(video.lastPathComponent): pixels differ from ffmpeg's")
            #expect(frames.map(\.time) == frames.indices.map { Double($0) / 2 })
        }
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

    /// Video frames stay YUV: their colour crops are those of the frame converted to RGB,
    /// pixel for pixel, and their grey crops (read from the luma plane) within a grey level and
    /// a half of them (but for a few colours too saturated for RGB, which clips them), for
    /// regions inside the picture, at odd positions, and reaching out of it.
    @Test func cropsOfAVideoFrameAreThoseOfItsRGBPicture() throws {
        let video = Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4")
        var frames: [VideoFrame] = []
        try FFmpegVideoFrameDecoder().decode(video, media: try FFprobe().probe(video), framesPerSecond: 1, maxWidth: 640) { frame in
            if frames.count < 3 { frames.append(frame) }
        }
        for frame in frames {
            guard case .i420 = frame.pixels else { Issue.record("video frames are kept as YUV"); return }
            let rgb = VideoFrame(index: frame.index, time: frame.time, width: frame.width, height: frame.height, pixels: .rgb(try frame.rgbPixels()))
            let regions = [SquareRegion(x: 101, y: 37, side: 151), SquareRegion(x: -40, y: frame.height - 90, side: 200),
                           SquareRegion(x: 0, y: 0, side: max(frame.width, frame.height))]
            for region in regions {
                for (size, gray) in [(192, false), (64, true), (24, true)] {
                    var fromYUV: [Float] = [], fromRGB: [Float] = []
                    try frame.appendPlanes(of: region, size: size, gray: gray, scale: 1, shift: 0, to: &fromYUV)
                    try rgb.appendPlanes(of: region, size: size, gray: gray, scale: 1, shift: 0, to: &fromRGB)
                    let differences = zip(fromYUV, fromRGB).map { abs($0 - $1) }
                    let mean = differences.reduce(0, +) / Float(differences.count)
                    let far = differences.filter { $0 > (gray ? 1.5 : 0) }.count
                    #expect(far <= (gray ? differences.count / 50 : 0) && mean <= (gray ? 0.5 : 0),
                            "\(region), \(size) px, grey \(gray): \(far) values differ, by \(mean) on average")
                    #expect(fromYUV.contains { $0 > 50 }, "the crop holds the picture")
                }
            }
        }
    }

    @Test func haarBaselineFindsARealFace() throws {
        let frame = try firstFrame(Self.graceHopper)
        let faces = try HaarFaceDetector().detect(in: frame.grayImage())
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
        #expect(try HaarFaceDetector().detect(in: firstFrame(image.path).grayImage()).isEmpty)
    }

    @Test func bridgeReportsBadFilesInsteadOfCrashing() throws {
        let dir = try Fixtures.temporaryDirectory()
        let bogus = dir.appendingPathComponent("cascade.xml")
        try Data("<opencv_storage></opencv_storage>".utf8).write(to: bogus)
        #expect(throws: VisionError.self) { try HaarFaceDetector(cascadePath: bogus.path) }
        #expect(throws: VisionError.self) { try HaarFaceDetector(cascadePath: dir.appendingPathComponent("missing.xml").path) }
    }

    private func blazeFace() throws -> BlazeFaceDetector {
        try BlazeFaceDetector(modelPath: try Fixtures.registry().path(of: "blazeface-full-range"))
    }

    @Test func blazeFaceFindsARealFaceAndItsMouth() throws {
        let frame = try firstFrame(Self.graceHopper)
        let faces = try blazeFace().detect(in: frame, minimumFaceSize: 24)
        #expect(faces.count == 1, "\(faces)")
        let face = try #require(faces.first)
        let haar = try #require(try HaarFaceDetector().detect(in: frame.grayImage()).first)
        #expect(face.box.intersectionOverUnion(haar) > 0.5, "BlazeFace \(face.box) vs Haar \(haar)")
        let mouth = try #require(face.mouth)
        #expect(mouth.y > face.box.centerY && mouth.y < face.box.y + face.box.height, "mouth in the lower half")
        #expect(abs(mouth.x - face.box.centerX) < face.box.width / 4)
    }

    /// A gallery of nine webcam tiles in a 1280×720 frame: faces about 70 px wide, too small
    /// for the network on the whole frame, found through the tiles.
    @Test func smallFacesInAGalleryOfTilesAreAllFound() throws {
        let dir = try Fixtures.temporaryDirectory()
        let gallery = dir.appendingPathComponent("gallery.png")
        let tile = "scale=426:240:force_original_aspect_ratio=decrease,pad=426:240:(ow-iw)/2:(oh-ih)/2:gray"
        let inputs = (0..<9).flatMap { _ in ["-i", Self.graceHopper] }
        let layout = (0..<9).map { "\($0 % 3 * 426)_\($0 / 3 * 240)" }.joined(separator: "|")
        let filter = (0..<9).map { "[\($0):v]\(tile)[t\($0)]" }.joined(separator: ";")
            + ";" + (0..<9).map { "[t\($0)]" }.joined() + "xstack=inputs=9:layout=\(layout):fill=gray,pad=1280:720"
        try Fixtures.ffmpeg(inputs + ["-filter_complex", filter, "-frames:v", "1", gallery.path])
        let frame = try firstFrame(gallery.path)
        let faces = try blazeFace().detect(in: frame, minimumFaceSize: 48)
        #expect(faces.count == 9, "\(faces.map(\.box))")
        for row in 0..<3 {
            for column in 0..<3 {
                #expect(faces.contains { Int($0.box.centerX) / 426 == column && Int($0.box.centerY) / 240 == row },
                        "a face in tile \(row),\(column)")
            }
        }
        #expect(try blazeFace().detect(in: frame, minimumFaceSize: 200).count < 9,
                "asked only for large faces, the detector looks at the whole frame and misses these: the tiles matter")
    }

    @Test func noFaceInATestPatternOrABlackFrame() throws {
        let dir = try Fixtures.temporaryDirectory()
        let pattern = dir.appendingPathComponent("pattern.png"), black = dir.appendingPathComponent("black.png")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720", "-frames:v", "1", pattern.path])
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "color=black:size=640x360", "-frames:v", "1", black.path])
        #expect(try blazeFace().detect(in: firstFrame(pattern.path), minimumFaceSize: 24).isEmpty)
        #expect(try blazeFace().detect(in: firstFrame(black.path), minimumFaceSize: 24).isEmpty)
    }

    @Test func graceHoppersExpressionIsNeutral() throws {
        let frame = try firstFrame(Self.graceHopper)
        let face = try #require(try blazeFace().detect(in: frame, minimumFaceSize: 24).first)
        let classifier = try MiniXceptionEmotionClassifier(modelPath: try Fixtures.registry().path(of: "fer-mini-xception"))
        let results = try classifier.classify([face.box, face.box], in: frame)
        #expect(results.count == 2 && results[0] == results[1], "batched faces are classified independently")
        let emotions = try #require(results.first)
        #expect(abs(emotions.values.reduce(0, +) - 1) < 1e-4)
        #expect(emotions.mostLikely == .neutral, "\(emotions.values)")
    }
}
