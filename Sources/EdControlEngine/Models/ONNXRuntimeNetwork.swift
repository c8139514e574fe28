import COnnxRuntimeBridge
import Foundation

/// An ONNX network with one input and one output, run by ONNX Runtime (the library the
/// sherpa-onnx-core wheel ships) through the C bridge: the speaker-segmentation model, whose
/// recurrent layers ONNX Runtime runs about four times faster than OpenCV's dnn module
/// (27 ms against about 110 ms per 10-s window on one core).
final class ONNXRuntimeNetwork {
    private let network: OpaquePointer
    private let path: String

    /// The runtime's version, for the lineage of what it computes.
    static var runtimeVersion: String { String(cString: edc_ort_version()) }

    /// - Parameter threads: threads one run may use, the calling one included.
    init(onnxPath: String, threads: Int = 1) throws {
        try ModelFileCheck.requireONNX(at: onnxPath, purpose: "ONNX Runtime")
        var error = BridgeError()
        guard let network = edc_ort_load(onnxPath, Int32(threads), &error.bytes, error.bytes.count) else {
            throw ModelError.unusable(onnxPath, reason: "ONNX Runtime cannot load it: \(error.message)")
        }
        self.network = network
        path = onnxPath
        // Thrown from here on, deinit frees the network.
        guard edc_ort_input_count(network) == 1, edc_ort_output_count(network) == 1 else {
            let counts = "\(edc_ort_input_count(network)) inputs and \(edc_ort_output_count(network)) outputs"
            throw ModelError.unusable(onnxPath, reason: "a network with one input and one output was expected, this one has \(counts)")
        }
    }

    deinit { edc_ort_free(network) }

    /// Runs the network on `input` of `shape`; returns its output flattened.
    /// - Parameter outputSize: the number of values the output has for this input.
    func forward(_ input: [Float], shape: [Int], outputSize: Int) throws -> [Float] {
        precondition(input.count == shape.reduce(1, *), "input does not match its shape")
        var output = [Float](repeating: 0, count: outputSize)
        var size = 0
        var error = BridgeError()
        let dims = shape.map { Int64($0) }
        let status = input.withUnsafeBufferPointer { data in
            output.withUnsafeMutableBufferPointer { out in
                edc_ort_run(network, data.baseAddress, dims, Int32(dims.count), out.baseAddress, outputSize, &size, &error.bytes, error.bytes.count)
            }
        }
        guard status == 0 else { throw ModelError.inference("\(URL(fileURLWithPath: path).lastPathComponent): \(error.message)") }
        guard size == outputSize else {
            throw ModelError.inference("\(URL(fileURLWithPath: path).lastPathComponent): the output has \(size) values, \(outputSize) were expected")
        }
        return output
    }
}
