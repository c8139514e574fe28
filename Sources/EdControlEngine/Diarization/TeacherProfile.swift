import Foundation

/// A teacher's enrolled voice: the GE2E embedding of a clean sample of their speech.
public struct TeacherProfile: Codable, Sendable {
    public static let currentFormat = 1
    /// Less speech than this makes no profile (30 s or more gives a reliable one).
    public static let minimumSpeechSeconds = 3.0
    public var format: Int
    public var model: ModelReference
    public var createdAt: String
    public var speechSeconds: Double
    public var embedding: [Float]

    public init(model: ModelReference, speechSeconds: Double, embedding: [Float]) {
        format = Self.currentFormat
        self.model = model
        createdAt = ISO8601DateFormatter().string(from: Date())
        self.speechSeconds = speechSeconds
        self.embedding = embedding
    }

    public static func load(from url: URL) throws -> TeacherProfile {
        guard let data = try? Data(contentsOf: url) else {
            throw ProfileError("\(url.path): the teacher profile cannot be read. Create one with `edcontrol enroll-teacher SAMPLE --out FILE`.")
        }
        guard let profile = try? JSONDecoder().decode(TeacherProfile.self, from: data),
              profile.format == currentFormat, profile.embedding.count == GE2EEncoder.embeddingSize else {
            throw ProfileError("\(url.path): this is not an EdControl teacher profile (or one of an unsupported format). Re-create it with `edcontrol enroll-teacher`.")
        }
        return profile
    }
}

public struct ProfileError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
