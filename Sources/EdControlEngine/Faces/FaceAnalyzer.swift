import Foundation

/// What the video stage saw: sampled frames, and the faces followed through them.
public struct FacesSeen: Sendable {
    public var framesPerSecond: Double
    public var sampledFrames: Int
    public var framesWithFaces: Int
    public var mostFacesInAFrame: Int
    /// Frames in which faces were searched for (in the others they were followed).
    public var searches = 0
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
        /// Faces are searched for at every shot cut, as soon as a face's picture changes
        /// (`movedFaceChange`), as soon as a part of the picture away from the faces changes
        /// (`newFaceChange`: someone may have come in), and at least this often; in the frames
        /// between, expressions and mouths are read where the faces were last found. People in
        /// a lesson mostly sit still in front of their camera, and a search costs about twenty
        /// times more than reading an expression (three 192×192 windows against one 64×64 face).
        public var detectionIntervalSeconds = 10.0
        /// A search made because the picture changed is made again this much later, so what
        /// follows a change is read in two boxes, not one: the expression model's reading moves
        /// by as much as 0.1 when a box moves by a pixel (measured on a planted angry face:
        /// 0.73 in one box, 0.83 in one a pixel lower), and a box is kept until the next search.
        public var settlingSeconds = 1.0
        /// Mean grey-level change (0–1) of a face's thumbnail since it was found that means
        /// the face moved or left, so faces are searched for again.
        public var movedFaceChange = 0.1
        /// Mean grey-level change (0–1) since the last search of a block of the picture (an
        /// eighth of its side) away from the faces found that means something new may be
        /// there, so faces are searched for again. The smallest face searched for covers about
        /// a tenth of a block of a 16:9 picture, so coming in it changes the block by a few
        /// hundredths; a webcam's noise, averaged over a block, by far less.
        public var newFaceChange = 0.02
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

    /// What the finding thread carries from frame to frame.
    private struct Finding {
        var previousPicture: [Float]?
        /// The picture thumbnail when faces were last searched for.
        var pictureAtSearch: [Float] = []
        var faces: [DetectedFace] = []
        /// The faces' thumbnails in the frame where they were found.
        var thumbnailsWhenFound: [[Float]] = []
        var lastSearch = -Double.infinity
        /// When a search made because the picture changed is to be repeated (see `Settings.settlingSeconds`).
        var searchAgainAt: Double?
        var searches = 0
        var failure: Error?
    }

    /// The faces in one frame, handed from the finding thread to the reading thread.
    private struct FoundFaces: Sendable {
        var frame: VideoFrame
        var faces: [DetectedFace]
        var thumbnails: [[Float]]
        var pictureChange: Double
    }

    /// What the reading thread carries from frame to frame.
    private struct Reading {
        var tracker: FaceTracker
        var seen: FacesSeen
        var failure: Error?
    }

    /// Three threads work at once: the calling one reads frames, the next finds the faces in
    /// them (or follows those found before), the last reads their expressions and tracks them.
    /// Finding and reading cost about the same per frame, so neither waits long for the other.
    /// - Parameters:
    ///   - isCancelled: asked before each frame; once true, reading stops with `AnalysisCancelled`.
    ///   - progress: called with the fraction of the recording's duration done.
    /// - Parameter times: receives the CPU time of the face search's and the expressions' threads.
    public func analyze(_ url: URL, media: MediaInfo, isCancelled: () -> Bool = { false }, times: StageTimes = StageTimes(),
                        progress: @escaping @Sendable (Double) -> Void) throws -> FacesSeen {
        guard let stream = media.video.first else { throw MediaError.videoUndecodable(url.path, detail: "it holds no picture") }
        let durationSeconds = media.durationSeconds
        let frameSize = FFmpegVideoFrameDecoder.outputSize(of: stream, maxWidth: settings.maximumFrameWidth)
        let shownWidth = stream.rotated ? stream.height : stream.width
        let minimumFaceSize = max(8, Int((Double(settings.minimumFaceSize) * Double(frameSize.width) / Double(max(1, shownWidth))).rounded()))
        let finding = BackgroundStage("edcontrol.faces.finding", state: Finding())
        let reading = BackgroundStage("edcontrol.faces.reading", state: Reading(
            tracker: FaceTracker(settings: settings.tracking),
            seen: FacesSeen(framesPerSecond: settings.framesPerSecond, sampledFrames: 0, framesWithFaces: 0, mostFacesInAFrame: 0, tracks: [])))
        // The detector is used only on the finding thread, the expression model only on the reading one.
        nonisolated(unsafe) let analyzer = self
        try decoder.decode(url, media: media, framesPerSecond: settings.framesPerSecond, maxWidth: settings.maximumFrameWidth) { frame in
            if isCancelled() {
                _ = finding.finish()
                _ = reading.finish()
                throw AnalysisCancelled()
            }
            finding.submit { state in
                guard state.failure == nil else { return }
                do {
                    let found = try times.onThisThread("  face search (its thread)") {
                        try analyzer.findFaces(in: frame, minimumFaceSize: minimumFaceSize, state: &state)
                    }
                    reading.submit { state in
                        guard state.failure == nil else { return }
                        do {
                            try times.onThisThread("  expressions (their thread)") { try analyzer.read(found, state: &state) }
                        } catch {
                            state.failure = error
                        }
                        if durationSeconds > 0 { progress(min(1, found.frame.time / durationSeconds)) }
                    }
                } catch {
                    state.failure = error
                }
            }
        }
        let found = finding.finish()
        var read = reading.finish()
        if let failure = found.failure ?? read.failure { throw failure }
        read.seen.searches = found.searches
        read.seen.tracks = read.tracker.finish()
        return read.seen
    }

    /// Searches the frame for faces when it is time to (see `Settings.detectionIntervalSeconds`);
    /// otherwise the faces found before are taken to be where they were.
    private func findFaces(in frame: VideoFrame, minimumFaceSize: Int, state: inout Finding) throws -> FoundFaces {
        var picture: [Float] = []
        let side = max(frame.width, frame.height)
        let square = SquareRegion(x: (frame.width - side) / 2, y: (frame.height - side) / 2, side: side)
        try frame.appendPlanes(of: square, size: Self.pictureSide, gray: true, scale: 1 / 255, shift: 0, to: &picture)
        let change = state.previousPicture.map { Self.meanChange($0, picture) } ?? 0
        state.previousPicture = picture
        var thumbnails: [[Float]] = []
        var changed = change >= settings.tracking.shotCutChange
            || Self.largestChangeAwayFromFaces(state.pictureAtSearch, picture, faces: state.faces, square: square) >= settings.newFaceChange
        if !changed {
            thumbnails = try state.faces.map { try Self.thumbnail(of: $0, in: frame) }
            changed = zip(thumbnails, state.thumbnailsWhenFound).contains { Self.meanChange($0, $1) >= settings.movedFaceChange }
        }
        let due = frame.time - state.lastSearch >= settings.detectionIntervalSeconds - 1e-6
            || state.searchAgainAt.map { frame.time >= $0 - 1e-6 } ?? false
        if changed || due {
            state.searchAgainAt = changed ? frame.time + settings.settlingSeconds : nil
            state.faces = try detector.detect(in: frame, minimumFaceSize: minimumFaceSize)
            state.lastSearch = frame.time
            state.pictureAtSearch = picture
            thumbnails = try state.faces.map { try Self.thumbnail(of: $0, in: frame) }
            state.thumbnailsWhenFound = thumbnails
            state.searches += 1
        }
        return FoundFaces(frame: frame, faces: state.faces, thumbnails: thumbnails, pictureChange: change)
    }

    /// Reads the expressions of the faces found in a frame and adds them to their tracks.
    private func read(_ found: FoundFaces, state: inout Reading) throws {
        let expressions = try emotions.classify(found.faces.map(\.box), in: found.frame)
        let observations = try zip(zip(found.faces, expressions), found.thumbnails).map { face, thumbnail in
            try observation(of: face.0, emotions: face.1, thumbnail: thumbnail, in: found.frame)
        }
        state.tracker.add(observations, at: found.frame.time, pictureChange: found.pictureChange)
        state.seen.sampledFrames += 1
        if !found.faces.isEmpty { state.seen.framesWithFaces += 1 }
        state.seen.mostFacesInAFrame = max(state.seen.mostFacesInAFrame, found.faces.count)
    }

    /// Mean absolute difference of two grey pictures (0–1).
    static func meanChange(_ a: [Float], _ b: [Float]) -> Double {
        Double(zip(a, b).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }) / Double(max(1, a.count))
    }

    /// The largest mean change between two picture thumbnails over blocks of 4×4 cells (an
    /// eighth of the side), leaving out the cells on and around the faces (whose own changes,
    /// such as a moving mouth, say nothing about new faces). 0 when there is no earlier picture.
    static func largestChangeAwayFromFaces(_ before: [Float], _ now: [Float], faces: [DetectedFace], square: SquareRegion) -> Double {
        let side = pictureSide, block = 4
        guard before.count == side * side, now.count == side * side else { return 0 }
        var away = [Bool](repeating: true, count: side * side)
        let cellsPerPixel = Double(side) / Double(square.side)
        for face in faces {
            // The face's box widened by half its size on each side: heads move within it.
            func cell(_ pixel: Double, _ origin: Int) -> Int { min(side - 1, max(0, Int(((pixel - Double(origin)) * cellsPerPixel).rounded(.down)))) }
            let (mx, my) = (face.box.width / 2, face.box.height / 2)
            for row in cell(face.box.y - my, square.y)...cell(face.box.y + face.box.height + my, square.y) {
                for column in cell(face.box.x - mx, square.x)...cell(face.box.x + face.box.width + mx, square.x) { away[row * side + column] = false }
            }
        }
        var largest = 0.0
        for top in stride(from: 0, to: side, by: block) {
            for left in stride(from: 0, to: side, by: block) {
                var total: Float = 0
                for row in top..<(top + block) {
                    for column in left..<(left + block) where away[row * side + column] {
                        total += abs(before[row * side + column] - now[row * side + column])
                    }
                }
                largest = max(largest, Double(total) / Double(block * block))
            }
        }
        return largest
    }

    private static func thumbnail(of face: DetectedFace, in frame: VideoFrame) throws -> [Float] {
        var thumbnail: [Float] = []
        try frame.appendPlanes(of: SquareRegion(around: face.box, margin: 0), size: thumbnailSide, gray: true,
                               scale: 1 / 255, shift: 0, to: &thumbnail)
        return thumbnail
    }

    private func observation(of face: DetectedFace, emotions: EmotionProbabilities, thumbnail: [Float],
                             in frame: VideoFrame) throws -> FaceObservation {
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
