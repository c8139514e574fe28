import CMediaBridge
import Foundation

/// One pass through a video stream in-process with FFmpeg's libraries: decoded from a key
/// frame on, passed through a filter graph (ffmpeg's own filters, so frames are exactly those
/// `ffmpeg -vf` gives), copied out frame by frame. Not thread-safe: one thread uses it.
final class VideoSampler {
    private let sampler: OpaquePointer
    private let path: String

    /// - Parameters:
    ///   - start: seconds from the file's start; a key frame's time, or 0.
    ///   - threads: the decoder's threads (0: FFmpeg's choice for the machine).
    ///   - skipNonReference: skip decoding B-frames and the deblocking filter.
    init(url: URL, formats: AcceptedFormats, start: Double, filters: String, threads: Int, skipNonReference: Bool) throws {
        var error = BridgeError()
        guard let sampler = edc_video_sampler_open(url.path, formats.demuxerList, start, filters, Int32(threads), skipNonReference ? 1 : 0,
                                                   &error.bytes, error.bytes.count)
        else { throw MediaError.videoUndecodable(url.path, detail: error.message) }
        self.sampler = sampler
        path = url.path
    }

    deinit { edc_video_sampler_close(sampler) }

    /// The next frame, `bytes` long, and its time in seconds since the start; nil at the end.
    func next(bytes: Int) throws -> (picture: Data, seconds: Double)? {
        var picture = Data(count: bytes)
        var seconds = 0.0
        var error = BridgeError()
        let status = picture.withUnsafeMutableBytes { buffer in
            edc_video_sampler_next(sampler, buffer.bindMemory(to: UInt8.self).baseAddress, bytes, &seconds,
                                   &error.bytes, error.bytes.count)
        }
        switch status {
        case 1: return (picture, seconds)
        case 0: return nil
        default: throw MediaError.videoUndecodable(path, detail: error.message)
        }
    }

    /// The key frames at or just before each of `times` (seconds from the file's start), for
    /// cutting a video into pieces that decode independently. Only the packets just after each
    /// seek are read, so this takes milliseconds however long the file is. Times where no key
    /// frame is found are left out.
    static func keyFrames(in url: URL, formats: AcceptedFormats, atOrBefore times: [Double]) throws -> [Double] {
        guard !times.isEmpty else { return [] }
        var keyTimes = [Double](repeating: .nan, count: times.count)
        var error = BridgeError()
        guard edc_video_key_frames(url.path, formats.demuxerList, times, Int32(times.count), &keyTimes, &error.bytes, error.bytes.count) == 0 else {
            throw MediaError.videoUndecodable(url.path, detail: error.message)
        }
        return keyTimes.filter(\.isFinite)
    }
}
