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
    }

    public var container: String
    public var durationSeconds: Double
    public var sizeBytes: Int64
    public var audio: [AudioStream]
    public var video: [VideoStream]
}
