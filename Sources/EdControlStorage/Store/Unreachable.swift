import Foundation

/// A part of the installation on another machine (the database server, the object store)
/// did not answer, or went away during the request: nothing of the request was kept, and it
/// is to be tried again later. The web layer answers 503 with Retry-After; a worker gives its
/// job back.
public struct Unreachable: Error, CustomStringConvertible, LocalizedError {
    public enum Part: String, Sendable {
        case database
        case files = "file store"
    }

    public let part: Part
    /// Where it was looked for (an address without secrets).
    public let address: String
    public let reason: String

    package init(_ part: Part, at address: String, reason: String) {
        self.part = part
        self.address = address
        self.reason = reason
    }

    public var description: String { "the \(part.rawValue) \(address) cannot be reached (\(reason)); try again when it is back" }
    public var errorDescription: String? { description }
}
