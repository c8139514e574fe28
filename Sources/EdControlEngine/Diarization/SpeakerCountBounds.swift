/// How many speakers the clustering may find.
public struct SpeakerCountBounds: Codable, Sendable, Hashable {
    public var minimum: Int
    public var maximum: Int

    public init(minimum: Int = 1, maximum: Int = 8) {
        self.minimum = max(1, minimum)
        self.maximum = max(self.minimum, maximum)
    }

    public static func exactly(_ count: Int) -> SpeakerCountBounds { .init(minimum: count, maximum: count) }
}
