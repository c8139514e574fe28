import CVisionBridge
import Foundation

/// An ONNX network run by OpenCV's dnn module (through the C bridge): the face models.
final class OpenCVNetwork {
    private let net: OpaquePointer
    let outputCount: Int
    /// The outputs' names, in the order `forward` returns them.
    let outputNames: [String]

    init(onnxPath: String) throws {
        try ModelFileCheck.requireONNX(at: onnxPath, purpose: "OpenCV dnn")
        var error = BridgeError()
        guard let net = edc_net_load_onnx(onnxPath, &error.bytes, error.bytes.count) else {
            throw ModelError.unusable(onnxPath, reason: "OpenCV cannot load it: \(error.message)")
        }
        self.net = net
        outputCount = Int(edc_net_output_count(net))
        outputNames = (0..<outputCount).map { String(cString: edc_net_output_name(net, Int32($0))) }
    }

    deinit { edc_net_free(net) }

    /// Runs the network on one input tensor (NCHW for images); returns each output
    /// flattened, in the network's output order.
    /// - Parameter outputSizes: the number of values each output has for this input.
    func forward(_ input: [Float], shape: [Int], outputSizes: [Int]) throws -> [[Float]] {
        precondition(input.count == shape.reduce(1, *), "input does not match its shape")
        precondition(outputSizes.count == outputCount, "one size per output")
        let buffers = outputSizes.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, $0)) }
        defer { buffers.forEach { $0.deallocate() } }
        let pointers: [UnsafeMutablePointer<Float>?] = buffers.map(\.baseAddress)
        var sizes = [Int](repeating: 0, count: outputCount)
        var error = BridgeError()
        let dims = shape.map { Int32($0) }
        let status = input.withUnsafeBufferPointer { data in
            edc_net_forward(net, data.baseAddress, dims, Int32(dims.count), Int32(outputCount), pointers, outputSizes, &sizes,
                            &error.bytes, error.bytes.count)
        }
        guard status == 0 else { throw ModelError.inference(error.message) }
        for (index, size) in sizes.enumerated() where size != outputSizes[index] {
            throw ModelError.inference("output \(index) has \(size) values, \(outputSizes[index]) were expected")
        }
        return zip(buffers, outputSizes).map { Array($0.prefix($1)) }
    }
}

/// A buffer the C bridge writes its error message into.
struct BridgeError {
    var bytes = [CChar](repeating: 0, count: 512)
    var message: String { String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
}

public enum VisionError: Error, CustomStringConvertible, LocalizedError {
    case inference(String)
    case detector(String)

    public var description: String {
        switch self {
        case .inference(let reason): return "image model failed: \(reason)"
        case .detector(let reason): return "face detector failed: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
