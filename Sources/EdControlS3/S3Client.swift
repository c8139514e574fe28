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

    /// The HTTP client this process's buckets share. Not AsyncHTTPClient's `.shared`, which
    /// has a browser's settings: it retries a refused connection for 90 s (so a request to a
    /// store that went down hung for minutes) and follows redirects (a signed request is
    /// for one address). Here a store that refuses connections is said after 5 s. Never shut
    /// down, as `.shared` is not.
    static let sharedHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(90))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Sends one request whose answer has no body worth reading (a PUT, a DELETE, a HEAD):
    /// the body is drained here, so the pooled connection is free for the next request.
    @discardableResult
    func send(_ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
              body: ByteBuffer? = nil, allowing allowed: Set<UInt> = []) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders) {
        let response = try await execute(method, key: key, query: query, headers: headers, body: body, allowing: allowed)
        _ = try await response.body.collect(upTo: 1 << 20)
        return (response.status, response.headers)
    }

    /// Sends one request and hands its answer over with the body unread, for the caller to
    /// stream (an object's bytes). An allowed error (a 404, a 416) is drained here: its body
    /// is only S3's error document, and the pooled connection must be free for the next request.
    func stream(_ method: HTTPMethod, key: String?, headers: [(String, String)] = [], allowing allowed: Set<UInt> = []) async throws -> HTTPClientResponse {
        let response = try await execute(method, key: key, headers: headers, allowing: allowed)
        if !(200..<300).contains(response.status.code) { _ = try await response.body.collect(upTo: 1 << 20) }
        return response
    }

    /// Sends one request whose answer is a small XML document (a listing, an upload's id,
    /// a copy's or a batch delete's result) and returns it. Those requests can fail after
    /// their 200 has been sent: an error in the document is thrown as a refusal.
    func document(_ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
                  body: ByteBuffer? = nil, describing request: @autoclosure () -> String) async throws -> String {
        let response = try await execute(method, key: key, query: query, headers: headers, body: body, allowing: [])
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        if let code = S3XML.firstValue(of: "Code", in: text) {
            throw S3Refusal(status: response.status.code, code: code, message: S3XML.firstValue(of: "Message", in: text), request: request())
        }
        return text
    }

    /// Signs and sends; throws `S3Refusal` for an error status (its XML code and message) but
    /// those `allowed`, `Unreachable` when the server cannot be reached.
    private func execute(_ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)],
                         body: ByteBuffer? = nil, allowing allowed: Set<UInt>) async throws -> HTTPClientResponse {
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
    static func values(of name: String, in xml: String) -> [String] { values(of: [name], in: xml)[name] ?? [] }

    static func firstValue(of name: String, in xml: String) -> String? { values(of: name, in: xml).first }

    /// The texts of the elements of each of `names`, in order, from one reading of `xml`. A
    /// malformed answer gives what was read before the fault.
    static func values(of names: Set<String>, in xml: String) -> [String: [String]] {
        let collector = Collector(names: names)
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        _ = parser.parse()
        return collector.values
    }

    /// The listing's objects: each `<Contents>`'s key, size and time.
    static func objects(in xml: String) -> [(key: String, size: Int64, modified: Date)] {
        let found = values(of: ["Key", "Size", "LastModified"], in: xml)
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        return zip(found["Key"] ?? [], zip(found["Size"] ?? [], found["LastModified"] ?? [])).map { key, sizeAndTime in
            (key, Int64(sizeAndTime.0) ?? 0, format.date(from: sizeAndTime.1) ?? plain.date(from: sizeAndTime.1) ?? Date(timeIntervalSince1970: 0))
        }
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    private final class Collector: NSObject, XMLParserDelegate {
        let names: Set<String>
        var values: [String: [String]] = [:]
        private var current: String?

        init(names: Set<String>) { self.names = names }

        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if names.contains(element) { current = "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            guard names.contains(element), let value = current else { return }
            values[element, default: []].append(value)
            current = nil
        }
    }
}
