import EdControlEngine
import EdControlStorage
import Foundation
import NIOCore

// Receiving an upload's body: streamed into the lesson files as an upload, cut off past the
// size limit or when it stalls, then stored as a lesson by `accept`.
extension LessonService {
    /// Receives an upload: checks the details, streams the body into the lesson files (cut
    /// off past the size limit or when it stalls), checks that it is a recording of an
    /// accepted format (`AcceptedFormats`: never a playlist or a list naming other files) that
    /// the analysis can use, and stores the lesson with its first job. Whatever fails,
    /// nothing of the upload stays.
    public func upload<Body: AsyncSequence & Sendable>(_ body: Body, details: Details, by caller: Principal) async throws -> LessonWithJob
    where Body.Element == ByteBuffer {
        try await check(details, by: caller)
        let checked = UploadBody(base: body, limit: limits.maxUploadBytes, minimumBytesPerSecond: limits.minimumUploadBytesPerSecond,
                                 graceSeconds: limits.uploadGraceSeconds)
        let recording: Recording
        do {
            recording = try await files.receive(checked) { local, size in
                guard size > 0 else { throw Refusal(.invalid, "refusal_upload_empty") }
                let recording = try await self.recording(at: local, details: details, by: caller)
                return (try recording.name, recording)
            }
        } catch let cut as UploadBodyError {
            throw refusal(of: cut)
        }
        let stored = try await accept(recording, details: details, by: caller)
        try await store.audit(caller, "lesson.upload", "lesson \(stored.lesson.id)", detail: details.originalFilename)
        return stored
    }

    /// The answer to an upload whose body stopped, by the body's own reason.
    func refusal(of cut: UploadBodyError) -> Refusal {
        switch cut {
        case .tooLarge: Refusal(.tooLarge, "refusal_upload_too_large", .text(Self.megabytes(limits.maxUploadBytes)))
        case .tooSlow: Refusal(.tooSlow, "refusal_upload_too_slow", .text("\(Int(limits.minimumUploadBytesPerSecond / 1000))"))
        case .interrupted: Refusal(.invalid, "refusal_upload_interrupted")
        }
    }
}

package enum UploadBodyError: Error {
    case tooLarge, tooSlow
    /// The connection ended or was closed for idling before the whole body came: the
    /// client's doing, not a server error.
    case interrupted
}

/// The request body, failing with `tooLarge` as soon as it passes `limit` bytes (an
/// oversized upload is cut off rather than written to disk in full), and with `tooSlow`
/// when, after its first `graceSeconds`, it has come slower than `minimumBytesPerSecond`.
package struct UploadBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    package typealias Element = ByteBuffer

    let base: Base
    let limit: Int64
    let minimumBytesPerSecond: Double
    let graceSeconds: Double

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int64
        let minimumBytesPerSecond: Double
        let graceSeconds: Double
        let started = ContinuousClock.now
        var received: Int64 = 0

        package mutating func next() async throws -> ByteBuffer? {
            let next: ByteBuffer?
            do {
                next = try await base.next()
            } catch {
                throw UploadBodyError.interrupted
            }
            guard let buffer = next else { return nil }
            received += Int64(buffer.readableBytes)
            if received > limit { throw UploadBodyError.tooLarge }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if seconds > graceSeconds, Double(received) / seconds < minimumBytesPerSecond { throw UploadBodyError.tooSlow }
            return buffer
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit, minimumBytesPerSecond: minimumBytesPerSecond, graceSeconds: graceSeconds)
    }
}
