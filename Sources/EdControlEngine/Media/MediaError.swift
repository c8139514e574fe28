import Foundation

/// Problems with an input recording, worded for the person who supplied it:
/// what is wrong and what to do about it.
public enum MediaError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case fileNotFound(String)
    case emptyFile(String)
    case notMedia(String, detail: String)
    /// FFmpeg knows the format (its demuxer's name), but it is not a recording EdControl accepts.
    case formatNotAccepted(String, format: String)
    case noAudioTrack(String, hasVideo: Bool)
    case undecodable(String, detail: String)
    case videoUndecodable(String, detail: String)
    case tooShort(String, seconds: Double)
    case toolMissing(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file. Check the path and try again."
        case .emptyFile(let path):
            return "\(path): the file is empty (0 bytes). The upload or copy probably failed; supply the recording again."
        case .notMedia(let path, let detail):
            return "\(path): this is not an audio or video recording that can be read (\(detail)). Supply it as \(AcceptedFormats.description)."
        case .formatNotAccepted(let path, let format):
            let kind = AcceptedFormats.RefusedKind(format: format)
            let why = if case .picture = kind { "not a recording" } else { "not a recording: only the recording itself is read, never files or addresses named inside it" }
            return "\(path): this is \(kind.words), \(why). Upload the lesson's video or sound as \(AcceptedFormats.description)."
        case .noAudioTrack(let path, let hasVideo):
            return hasVideo
                ? "\(path): the recording has a video track but no audio track, so nobody's speech can be analysed. Export the lesson with its sound."
                : "\(path): the file has no audio track and no video track."
        case .undecodable(let path, let detail):
            return "\(path): the audio could not be decoded to the end; the file is probably truncated or corrupt (\(detail)). Supply a complete copy of the recording."
        case .videoUndecodable(let path, let detail):
            return "\(path): the video could not be decoded (\(detail)); the file is probably corrupt or uses a codec this machine's FFmpeg lacks. Supply the recording again, e.g. exported as H.264 MP4."
        case .tooShort(let path, let seconds):
            return "\(path): the recording is only \(String(format: "%.2f", seconds)) s long; at least 1 s of audio is needed."
        case .toolMissing(let tool):
            return "\(tool) was not found on PATH. Run scripts/setup.sh (it installs ffmpeg) and try again."
        }
    }

    public var errorDescription: String? { description }
}
