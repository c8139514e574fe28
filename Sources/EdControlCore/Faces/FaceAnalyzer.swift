import Foundation

/// What the video stage saw: sampled frames, and the faces followed through them.
public struct FacesSeen: Sendable {
    public var framesPerSecond: Double
    public var sampledFrames: Int
    public var framesWithFaces: Int
    public var mostFacesInAFrame: Int
    public var tracks: [FaceTrackObservations]
}

/// The video half of the analysis: samples frames, finds faces, reads their expressions and
/// follows them from frame to frame.
public final class FaceAnalyzer {
    public struct Settings: Codable, Sendable, Hashable {
        public var framesPerSecond = 2.0
        /// Frames are downscaled to at most this width before the models see them.
        public var maximumFrameWidth = 960
        /// Faces narrower than this, in pixels of the original video, need not be found.
        public var minimumFaceSize = 48
        /// Faces are searched for this often, and at every shot cut; in the frames between,
        /// expressions and mouths are read where the faces were last found. People in a
        /// lesson barely move in half a second, and detection costs ten times more than
        /// reading an expression.
        public var detectionIntervalSeconds = 1.0
        public var detector = BlazeFaceDetector.Settings()
        public var tracking = FaceTracker.Settings()

        public init() {}
    }

    /// Sides of the grey thumbnails: of the whole picture (shows shot cuts), of a face
    /// (recognises the person in a later shot), and of the mouth (its change shows speech).
    static let pictureSide = 32
    static let thumbnailSide = 24
    static let mouthSide = 12

    public let settings: Settings
    private let detector: FaceDetecting
    private let emotions: FacialEmotionRecognizing
    private let decoder: VideoFrameDecoding

    public init(detector: FaceDetecting, emotions: FacialEmotionRecognizing, settings: Settings = Settings(),
                decoder: VideoFrameDecoding = FFmpegVideoFrameDecoder()) {
        self.detector = detector
        self.emotions = emotions
        self.settings = settings
        self.decoder = decoder
    }

    /// What the model thread carries from frame to frame.
    private struct Watching {
        var tracker: FaceTracker
        var seen: FacesSeen
        var previousPicture: [Float]?
        var faces: [DetectedFace] = []
        var lastDetection = -Double.infinity
        var failure: Error?
    }

    /// Frames are read on the calling thread and go through the models on another, so
    /// ffmpeg keeps decoding (on one core: it cannot thread when it skips frames) while the
    /// models work on the other.
    /// - Parameters:
    ///   - isCancelled: asked before each frame; once true, reading stops with `AnalysisCancelled`.
    ///   - progress: called with the fraction of the recording's duration done.
    public func analyze(_ url: URL, stream: MediaInfo.VideoStream, durationSeconds: Double,
                        isCancelled: () -> Bool = { false },
                        progress: @escaping @Sendable (Double) -> Void) throws -> FacesSeen {
        let frameSize = FFmpegVideoFrameDecoder.outputSize(of: stream, maxWidth: settings.maximumFrameWidth)
        let shownWidth = stream.rotated ? stream.height : stream.width
        let minimumFaceSize = max(8, Int((Double(settings.minimumFaceSize) * Double(frameSize.width) / Double(max(1, shownWidth))).rounded()))
        let models = BackgroundStage("edcontrol.faces", state: Watching(
            tracker: FaceTracker(settings: settings.tracking),
            seen: FacesSeen(framesPerSecond: settings.framesPerSecond, sampledFrames: 0, framesWithFaces: 0, mostFacesInAFrame: 0, tracks: [])))
        nonisolated(unsafe) let analyzer = self  // its models are used only on the stage's thread
        try decoder.decode(url, stream: stream, framesPerSecond: settings.framesPerSecond, maxWidth: settings.maximumFrameWidth) { frame in
            if isCancelled() {
                _ = models.finish()
                throw AnalysisCancelled()
            }
            models.submit { state in
                guard state.failure == nil else { return }
                do {
                    try analyzer.look(at: frame, minimumFaceSize: minimumFaceSize, state: &state)
                } catch {
                    state.failure = error
                }
                if durationSeconds > 0 { progress(min(1, frame.time / durationSeconds)) }
            }
        }
        var watched = models.finish()
        if let failure = watched.failure { throw failure }
        watched.seen.tracks = watched.tracker.finish()
        return watched.seen
    }

    private func look(at frame: VideoFrame, minimumFaceSize: Int, state: inout Watching) throws {
        var picture: [Float] = []
        let side = max(frame.width, frame.height)
        try frame.appendPlanes(of: SquareRegion(x: (frame.width - side) / 2, y: (frame.height - side) / 2, side: side),
                               size: Self.pictureSide, gray: true, scale: 1 / 255, shift: 0, to: &picture)
        let change = state.previousPicture.map { Self.meanChange($0, picture) } ?? 0
        state.previousPicture = picture
        if change >= settings.tracking.shotCutChange || frame.time - state.lastDetection >= settings.detectionIntervalSeconds - 1e-6 {
            state.faces = try detector.detect(in: frame, minimumFaceSize: minimumFaceSize)
            state.lastDetection = frame.time
        }
        let faces = state.faces
        let expressions = try emotions.classify(faces.map(\.box), in: frame)
        let observations = try zip(faces, expressions).map { face, emotions in
            try observation(of: face, emotions: emotions, in: frame)
        }
        state.tracker.add(observations, at: frame.time, pictureChange: change)
        state.seen.sampledFrames += 1
        if !faces.isEmpty { state.seen.framesWithFaces += 1 }
        state.seen.mostFacesInAFrame = max(state.seen.mostFacesInAFrame, faces.count)
    }

    /// Mean absolute difference of two grey pictures (0–1).
    static func meanChange(_ a: [Float], _ b: [Float]) -> Double {
        Double(zip(a, b).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }) / Double(max(1, a.count))
    }

    private func observation(of face: DetectedFace, emotions: EmotionProbabilities, in frame: VideoFrame) throws -> FaceObservation {
        var thumbnail: [Float] = []
        try frame.appendPlanes(of: SquareRegion(around: face.box, margin: 0), size: Self.thumbnailSide, gray: true,
                               scale: 1 / 255, shift: 0, to: &thumbnail)
        var mouthPatch: [Float]?
        if let mouth = face.mouth {
            // A square about half the face wide, centred on the mouth key point.
            let side = face.box.width * 0.5
            var patch: [Float] = []
            try frame.appendPlanes(of: SquareRegion(around: FaceBox(x: mouth.x - side / 2, y: mouth.y - side / 2, width: side, height: side), margin: 0),
                                   size: Self.mouthSide, gray: true, scale: 1 / 255, shift: 0, to: &patch)
            mouthPatch = patch
        }
        let (w, h) = (Double(frame.width), Double(frame.height))
        return FaceObservation(time: frame.time,
                               box: FaceBox(x: face.box.x / w, y: face.box.y / h, width: face.box.width / w, height: face.box.height / h),
                               score: face.score, emotions: emotions, mouthMotion: nil, mouthPatch: mouthPatch,
                               thumbnail: thumbnail)
    }
}
