import Foundation

/// One sampled video frame, as the decoder gave it.
public struct VideoFrame: Sendable {
    /// A picture's bytes, as the decoder gave them.
    public enum Pixels: Sendable {
        /// Packed 8-bit RGB (pictures such as PNG photos).
        case rgb([UInt8])
        /// Planar YUV 4:2:0 (Y, then U, then V; BT.601, limited range), as video is stored:
        /// half the bytes of RGB, and the grey crops the models read most are its luma.
        case i420(Data)
    }

    public var index: Int
    /// Seconds from the start of the recording.
    public var time: Double
    public var width: Int
    public var height: Int
    public var pixels: Pixels
}

/// Samples a recording's video at a fixed rate, downscaled, handing the frames over in order.
public protocol VideoFrameDecoding: Sendable {
    /// Decodes the recording's first video stream.
    func decode(_ url: URL, media: MediaInfo, framesPerSecond: Double, maxWidth: Int,
                onFrame: (VideoFrame) throws -> Void) throws
}

/// FFmpeg's libraries decode in-process and sequentially (seeking per frame is 100× slower),
/// ffmpeg's `fps` filter picks the frames and its scaler shrinks them. Rotation metadata is
/// applied as ffmpeg does, so width and height are those of the picture as shown.
///
/// Decoding that skips frames (below) does not spread over several cores, so a long video is
/// cut at key frames into pieces of about `segmentSeconds`, and `parallelism` threads decode
/// consecutive pieces at once. A piece that starts at a key frame decodes on its own, with
/// nothing decoded twice; the frames of a piece decoded ahead wait in memory (at most
/// `parallelism - 1` pieces) until their turn, while the piece being handed over keeps only a
/// few frames ahead of the caller.
public struct FFmpegVideoFrameDecoder: VideoFrameDecoding {
    /// How frames are kept between decoding and use.
    public enum PixelFormat: String, Sendable {
        /// YUV 4:2:0, as video is stored: half the bytes of RGB, so half the memory while
        /// frames wait; only the parts that need colour become RGB.
        case yuv420p
        /// RGB: pictures such as PNG photos keep their full colour.
        case rgb24

        func bytesPerFrame(width: Int, height: Int) -> Int {
            self == .rgb24 ? width * height * 3 : width * height * 3 / 2
        }
    }

    public var segmentSeconds: Double
    public var parallelism: Int
    public var pixelFormat: PixelFormat
    public var formats: AcceptedFormats

    public init(segmentSeconds: Double = 90, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                pixelFormat: PixelFormat = .yuv420p, formats: AcceptedFormats = .recordings) {
        self.segmentSeconds = segmentSeconds
        self.parallelism = max(1, parallelism)
        self.pixelFormat = pixelFormat
        self.formats = formats
    }

    /// The size frames come out at: at most `maxWidth` wide, aspect kept, even dimensions.
    public static func outputSize(of stream: MediaInfo.VideoStream, maxWidth: Int) -> (width: Int, height: Int) {
        let (width, height) = shownSize(of: stream)
        guard width > 0, height > 0 else { return (0, 0) }
        let scale = min(1, Double(maxWidth) / Double(width))
        let even = { (value: Double) in max(2, Int((value / 2).rounded()) * 2) }
        return (even(Double(width) * scale), even(Double(height) * scale))
    }

    private static func shownSize(of stream: MediaInfo.VideoStream) -> (width: Int, height: Int) {
        stream.rotated ? (stream.height, stream.width) : (stream.width, stream.height)
    }

    /// One piece of the video: from `start` (a key frame's time; 0 for the file's beginning)
    /// up to `end` (the next piece's start; nil: to the end of the video).
    struct Segment: Equatable {
        var start: Double
        var end: Double?

        /// Whether a frame `seconds` after the start is this piece's (from the next key frame
        /// on, frames are the next piece's).
        func holds(_ seconds: Double) -> Bool { end.map { start + seconds < $0 - 1e-6 } ?? true }
    }

    /// Pieces of equal length, about `segmentSeconds`, starting at the key frames nearest
    /// before each cut; one piece for a short video, or when the file's key frames cannot be found.
    func segments(of url: URL, media: MediaInfo) -> [Segment] {
        let duration = media.durationSeconds
        let count = Int((duration / segmentSeconds).rounded())
        let cuts = (1..<max(1, count)).map { duration * Double($0) / Double(count) }
        guard parallelism > 1, !cuts.isEmpty, let keyFrames = try? VideoSampler.keyFrames(in: url, formats: formats, atOrBefore: cuts) else {
            return [Segment(start: 0, end: nil)]
        }
        var starts: [Double] = [0]
        for time in keyFrames where time > starts.last! + 1 && time < duration { starts.append(time) }
        return starts.indices.map { i in Segment(start: starts[i], end: i + 1 < starts.count ? starts[i + 1] : nil) }
    }

    public func decode(_ url: URL, media: MediaInfo, framesPerSecond: Double, maxWidth: Int,
                       onFrame: (VideoFrame) throws -> Void) throws {
        guard let stream = media.video.first else { throw MediaError.videoUndecodable(url.path, detail: "it holds no picture") }
        let (width, height) = Self.outputSize(of: stream, maxWidth: maxWidth)
        guard width > 0 else { throw MediaError.videoUndecodable(url.path, detail: "the video stream has no picture size") }
        // A bilinear scaler that skips source pixels is 0.7 ms a frame cheaper than
        // averaging them and as good down to half size; below that, averaging avoids aliasing.
        let scaler = Double(width) >= 0.5 * Double(Self.shownSize(of: stream).width) ? "fast_bilinear" : "area"
        let filters = "fps=\(framesPerSecond):round=near:eof_action=pass,scale=\(width):\(height):flags=\(scaler),format=\(pixelFormat.rawValue)"
        let pieces = segments(of: url, media: media)
        let decoders = pieces.map { piece in
            SegmentDecoder(url: url, formats: formats, segment: piece, filters: filters, frameBytes: pixelFormat.bytesPerFrame(width: width, height: height),
                           singleThreaded: pieces.count > 1)
        }
        var index = 0
        defer { decoders.forEach { $0.cancel() } }
        for (number, decoder) in decoders.enumerated() {
            // Keep `parallelism` pieces decoding: this one and the next ones.
            for ahead in decoders[number..<min(decoders.count, number + parallelism)] { ahead.start() }
            while let (picture, seconds) = try decoder.nextFrame(), decoder.segment.holds(seconds) {
                let time = decoder.segment.start + seconds
                try onFrame(VideoFrame(index: index, time: time, width: width, height: height,
                                       pixels: pixelFormat == .rgb24 ? .rgb([UInt8](picture)) : .i420(picture)))
                index += 1
            }
            decoder.cancel()
        }
    }

    /// The first frame of a picture or video, e.g. one labelled photo.
    public func firstFrame(of url: URL, maxWidth: Int, probe: MediaProbing = FFprobe(formats: .picturesAndRecordings)) throws -> VideoFrame {
        struct Enough: Error {}
        var first: VideoFrame?
        do {
            try FFmpegVideoFrameDecoder(parallelism: 1, pixelFormat: .rgb24, formats: .picturesAndRecordings).decode(url, media: try probe.probe(url), framesPerSecond: 1,
                                                                                    maxWidth: maxWidth) { first = $0; throw Enough() }
        } catch is Enough {}
        guard let first else { throw MediaError.videoUndecodable(url.path, detail: "no frame could be decoded") }
        return first
    }
}

/// Decodes one piece of the video on a thread of its own; its frames queue up until the
/// caller takes them.
private final class SegmentDecoder: @unchecked Sendable {
    // @unchecked: `frames`, `finished`, `failure`, `started`, `taking` and `cancelled` are
    // read and written only while holding `condition`.
    let segment: FFmpegVideoFrameDecoder.Segment
    private let url: URL
    private let formats: AcceptedFormats
    private let filters: String
    private let frameBytes: Int
    private let singleThreaded: Bool
    private let condition = NSCondition()
    private var frames: [(picture: Data, seconds: Double)] = []
    private var finished = false
    private var failure: Error?
    private var started = false
    private var cancelled = false
    /// Set once the caller takes frames: from then on decoding waits while `frames` holds
    /// `framesAheadOfCaller`, so a slow caller does not make the piece pile up in memory.
    private var taking = false
    private let framesAheadOfCaller = 8

    init(url: URL, formats: AcceptedFormats, segment: FFmpegVideoFrameDecoder.Segment, filters: String, frameBytes: Int, singleThreaded: Bool) {
        self.url = url
        self.formats = formats
        self.segment = segment
        self.filters = filters
        self.frameBytes = frameBytes
        self.singleThreaded = singleThreaded
    }

    /// Starts decoding (once).
    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started, !cancelled else { return }
        started = true
        Thread.detachNewThread { [self] in run() }
    }

    /// Stops decoding if it is still going on; frames not yet taken are dropped.
    func cancel() {
        condition.lock()
        cancelled = true
        frames = []
        condition.broadcast()
        condition.unlock()
    }

    /// The next frame and its time from the piece's start, waiting for it if needed; nil
    /// once the piece is done.
    func nextFrame() throws -> (picture: Data, seconds: Double)? {
        condition.lock()
        defer { condition.unlock() }
        taking = true
        while frames.isEmpty && !finished { condition.wait() }
        if !frames.isEmpty {
            condition.broadcast()
            return frames.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    /// Whether to go on decoding: waits while the caller has enough frames ahead.
    private func waitForRoom() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while taking && frames.count >= framesAheadOfCaller && !cancelled { condition.wait() }
        return !cancelled
    }

    private func run() {
        var outcome: Error?
        do {
            // Frames no other frame refers to (B-frames) are mostly not sampled: skipping their
            // decoding saves a third of the time on streams that have them, and skipping the
            // deblocking filter another tenth (measured); the models see frames downscaled,
            // where neither shows. Pieces decoded side by side take one core each.
            let sampler = try VideoSampler(url: url, formats: formats, start: segment.start, filters: filters, threads: singleThreaded ? 1 : 0,
                                           skipNonReference: true)
            while waitForRoom(), let frame = try sampler.next(bytes: frameBytes) {
                condition.lock()
                frames.append(frame)
                condition.broadcast()
                condition.unlock()
                if !segment.holds(frame.seconds) { break }
            }
        } catch {
            outcome = error
        }
        condition.lock()
        failure = outcome
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
