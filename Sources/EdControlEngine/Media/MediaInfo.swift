/// What ffprobe found in a media file: enough to decide how to analyse it and to report it.
public struct MediaInfo: Codable, Sendable, Equatable {
    public struct AudioStream: Codable, Sendable, Equatable {
        public var codec: String
        public var sampleRate: Int
        public var channels: Int
    }

    public struct VideoStream: Codable, Sendable, Equatable {
        public var codec: String
        public var width: Int
        public var height: Int
        public var framesPerSecond: Double
        /// Rotation the player applies (degrees, from the stream's display matrix).
        public var rotationDegrees: Int

        public init(codec: String, width: Int, height: Int, framesPerSecond: Double, rotationDegrees: Int) {
            self.codec = codec
            self.width = width
            self.height = height
            self.framesPerSecond = framesPerSecond
            self.rotationDegrees = rotationDegrees
        }

        /// Whether the picture is shown turned by a quarter, swapping width and height.
        public var rotated: Bool { abs(rotationDegrees) % 180 == 90 }
    }

    public var container: String
    public var durationSeconds: Double
    public var sizeBytes: Int64
    public var audio: [AudioStream]
    public var video: [VideoStream]
}
