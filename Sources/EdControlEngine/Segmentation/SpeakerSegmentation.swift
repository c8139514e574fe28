/// Who speaks in each frame of one window of audio, as the segmentation model sees it: up to
/// three "local" speakers, numbered within the window only (speaker 0 of one window and of the
/// next need not be the same person), any of whom may talk at once.
public struct SegmentedWindow: Sendable {
    /// First sample of the window, from the start of the recording.
    public var startSample: Int
    /// `frameCount × localSpeakers` activity, frame-major.
    public var activity: [Bool]

    public init(startSample: Int, activity: [Bool]) {
        self.startSample = startSample
        self.activity = activity
    }

    public static let localSpeakers = 3
    public var frameCount: Int { activity.count / Self.localSpeakers }

    public func isActive(frame: Int, speaker: Int) -> Bool { activity[frame * Self.localSpeakers + speaker] }

    /// How many local speakers talk in the frame (0–2 for pyannote's powerset).
    public func speakerCount(frame: Int) -> Int {
        (0..<Self.localSpeakers).reduce(0) { $0 + (isActive(frame: frame, speaker: $1) ? 1 : 0) }
    }
}

/// Frame geometry of a segmentation model: frame `i` of a window covers samples
/// `i * frameStep ..< i * frameStep + frameSpan` of it.
public struct SegmentationFrames: Sendable, Equatable {
    public var windowSamples: Int
    public var frameStep: Int
    public var frameSpan: Int
    public var frameCount: Int

    /// First of the `frameStep` samples around the centre of frame `frame`, from the window's
    /// start: the stretch the frame stands for, so consecutive frames tile the audio.
    public func firstSample(ofFrame frame: Int) -> Int { frame * frameStep + frameSpan / 2 - frameStep / 2 }
}

/// Finds speakers, and overlapped speech, in fixed-length windows of audio.
public protocol SpeakerSegmenting: AnyObject {
    var frames: SegmentationFrames { get }
    /// - Parameter samples: exactly `frames.windowSamples` samples at 16 kHz.
    func segment(_ samples: ArraySlice<Float>, startSample: Int) throws -> SegmentedWindow
}

/// pyannote segmentation-3.0 (PyanNet: SincNet, four bidirectional LSTM layers, a powerset
/// classifier over silence, three single speakers and their three pairs), run by ONNX Runtime
/// on the graph that scripts/models/pyannote_segmentation.py prepares (one 10-s window).
public final class PyannoteSegmenter: SpeakerSegmenting {
    /// The model's receptive field: 991 samples, one frame every 270 (about 17 ms).
    public let frames = SegmentationFrames(windowSamples: 160_000, frameStep: 270, frameSpan: 991, frameCount: 589)
    private let network: ONNXRuntimeNetwork

    /// The powerset classes as sets of local speakers, in the model's output order.
    public static let powerset: [[Int]] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2]]

    /// One thread: the analysis runs the segmentation beside its other stages.
    public init(modelPath: String) throws {
        network = try ONNXRuntimeNetwork(onnxPath: modelPath)
    }

    public func segment(_ samples: ArraySlice<Float>, startSample: Int) throws -> SegmentedWindow {
        precondition(samples.count == frames.windowSamples, "a segmentation window has \(frames.windowSamples) samples")
        let classes = Self.powerset.count
        let scores = try network.forward(Array(samples), shape: [1, 1, samples.count], outputSize: frames.frameCount * classes)
        // The most likely class of each frame (pyannote 3.1 decodes the powerset the same way).
        var activity = [Bool](repeating: false, count: frames.frameCount * SegmentedWindow.localSpeakers)
        for frame in 0..<frames.frameCount {
            let row = scores[(frame * classes)..<((frame + 1) * classes)]
            let best = row.indices.max { row[$0] < row[$1] }! - frame * classes
            for speaker in Self.powerset[best] { activity[frame * SegmentedWindow.localSpeakers + speaker] = true }
        }
        return SegmentedWindow(startSample: startSample, activity: activity)
    }
}
