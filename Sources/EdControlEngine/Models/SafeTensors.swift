import Foundation

/// Reads float32 tensors from a `.safetensors` file (an 8-byte little-endian header length,
/// a JSON header of name → dtype/shape/offsets, then raw little-endian data).
///
/// Hand-written because no Swift package reads this format; it is a few lines.
struct SafeTensors {
    struct Tensor {
        var shape: [Int]
        var values: [Float]
    }

    private struct HeaderEntry: Decodable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    let tensors: [String: Tensor]

    init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        func fail(_ why: String) -> ModelError { .unusable(url.path, reason: "not a valid safetensors file: \(why)") }
        guard data.count >= 8 else { throw fail("too short") }
        let headerLength = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard headerLength > 0, 8 + headerLength <= data.count else { throw fail("bad header length") }
        let headerData = data.subdata(in: 8..<(8 + headerLength))
        guard let object = try JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let body = 8 + headerLength
        var tensors: [String: Tensor] = [:]
        for (name, value) in object where name != "__metadata__" {
            let json = try JSONSerialization.data(withJSONObject: value)
            let entry = try JSONDecoder().decode(HeaderEntry.self, from: json)
            guard entry.dtype == "F32", entry.data_offsets.count == 2 else { throw fail("\(name) is not F32") }
            let start = body + entry.data_offsets[0], end = body + entry.data_offsets[1]
            let count = entry.shape.reduce(1, *)
            guard start <= end, end <= data.count, (end - start) == count * 4 else { throw fail("\(name) has bad offsets") }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { target in
                data.copyBytes(to: target.bindMemory(to: UInt8.self), from: start..<end)
            }
            tensors[name] = Tensor(shape: entry.shape, values: values.map { Float(bitPattern: $0.bitPattern.littleEndian) })
        }
        self.tensors = tensors
    }

    func tensor(_ name: String, shape: [Int]) throws -> [Float] {
        guard let tensor = tensors[name] else {
            throw ModelError.unusable(name, reason: "tensor is missing from the weights file")
        }
        guard tensor.shape == shape else {
            throw ModelError.unusable(name, reason: "tensor has shape \(tensor.shape), expected \(shape)")
        }
        return tensor.values
    }
}
