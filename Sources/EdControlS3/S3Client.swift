import AsyncHTTPClient
import EdControlStorage
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Signed requests to one bucket over AsyncHTTPClient, and S3's answers read back.
struct S3Client: Sendable {
    let location: S3Location
    let signer: SigV4
    let http: HTTPClient
    let timeout: TimeAmount

    /// Sends one request; `body` is signed by its hash. Throws `S3Refusal` for an error
    /// status (its XML code and message), `Unreachable` when the server cannot be reached.
    @discardableResult
    func send(_ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
              body: ByteBuffer? = nil, allowing allowed: Set<UInt> = []) async throws -> HTTPClientResponse {
        let url = S3Address.url(location, key: key, query: query)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        let hash = body.map { SigV4.payloadHash(Data($0.readableBytesView)) } ?? SigV4.payloadHash(Data())
        for (name, value) in headers + signer.headers(method: method.rawValue, url: url, payloadHash: hash, others: headers) {
            request.headers.add(name: name, value: value)
        }
        if let body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw Unreachable(.files, at: location.description, reason: "\(error)")
        }
        guard (200..<300).contains(response.status.code) || allowed.contains(response.status.code) else {
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            throw S3Refusal(status: response.status.code, code: S3XML.firstValue(of: "Code", in: text),
                            message: S3XML.firstValue(of: "Message", in: text), request: "\(method.rawValue) \(key ?? location.bucket)")
        }
        return response
    }

    /// The whole answer's body (small answers: listings, multipart ids).
    func text(of response: HTTPClientResponse) async throws -> String {
        String(buffer: try await response.body.collect(upTo: 16 << 20))
    }
}

/// S3 refused a request: its status and, from the XML answer, its code and message.
struct S3Refusal: Error, CustomStringConvertible {
    let status: UInt
    let code: String?
    let message: String?
    let request: String

    var description: String { "the object store refused \(request): \(status) \(code ?? "") \(message ?? "")" }
}

/// The few values read from S3's XML answers. Foundation's XMLParser reads them; this only
/// walks its events.
enum S3XML {
    /// Every element named `name`'s text, in order.
    static func values(of name: String, in xml: String) -> [String] {
        let collector = Collector(name: name)
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        parser.parse()
        return collector.values
    }

    static func firstValue(of name: String, in xml: String) -> String? { values(of: name, in: xml).first }

    /// The listing's objects: each `<Contents>`'s key, size and time.
    static func objects(in xml: String) -> [(key: String, size: Int64, modified: Date)] {
        let keys = values(of: "Key", in: xml), sizes = values(of: "Size", in: xml), times = values(of: "LastModified", in: xml)
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        return zip(keys, zip(sizes, times)).map { key, sizeAndTime in
            (key, Int64(sizeAndTime.0) ?? 0, format.date(from: sizeAndTime.1) ?? plain.date(from: sizeAndTime.1) ?? Date(timeIntervalSince1970: 0))
        }
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    private final class Collector: NSObject, XMLParserDelegate {
        let name: String
        var values: [String] = []
        private var current: String?

        init(name: String) { self.name = name }

        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if element == name { current = "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            if element == name, let value = current { values.append(value) }
            if element == name { current = nil }
        }
    }
}
