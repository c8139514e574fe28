import CMediaBridge
import Foundation

/// The containers EdControl reads, and how every reader of a recording (the probe, the audio
/// decoder, the video sampler, the face pictures) is held to them.
///
/// An upload is a file of the school's, but FFmpeg has demuxers that read *other* files or
/// URLs named inside it: HLS and DASH playlists, concat lists, SDP descriptions, image
/// sequences, protocol prefixes. Analysed on the server, such a "recording" would read
/// another school's lesson. So the format is checked from the file's first bytes before any
/// demuxer opens it, and every open names the allowed demuxers and the `file` protocol only,
/// so a reader never follows anything but the one path it was given.
public struct AcceptedFormats: Sendable {
    /// libavformat demuxer names.
    public let demuxers: [String]

    /// What schools upload: mov (MP4, MOV, M4A, 3GP from phones and Zoom/Teams exports),
    /// matroska (MKV, WebM from browsers and OBS), avi, mpegts and mpeg (TS and PS from
    /// cameras and TV-style recorders), flv (OBS's old default), asf (WMV/WMA from older
    /// Windows recorders), wav, mp3, aac (ADTS), ogg (Vorbis, Opus), flac and amr (phone voice
    /// memos). None of them opens another file (mov's external data references stay off,
    /// FFmpeg's default).
    public static let recordings = AcceptedFormats(demuxers: ["mov", "matroska", "avi", "mpegts", "mpeg", "flv", "asf",
                                                              "wav", "mp3", "aac", "ogg", "flac", "amr"])
    /// Recordings and single pictures: the labelled photos the lab's evaluations read (the
    /// operator's own files, never an upload).
    public static let picturesAndRecordings = AcceptedFormats(demuxers: recordings.demuxers
        + ["image2", "jpeg_pipe", "png_pipe", "bmp_pipe", "webp_pipe", "tiff_pipe"])

    /// What a person is told they may upload.
    /// The accepted formats as people know them.
    public static let names = ["MP4", "MOV", "M4A", "3GP", "MKV", "WebM", "AVI", "MPEG-TS", "MPEG-PS", "FLV", "WMV/WMA", "WAV", "MP3", "AAC",
                               "Ogg/Opus", "FLAC", "AMR"]
    public static let description = names.dropLast().joined(separator: ", ") + " or " + names.last!

    var demuxerList: String { demuxers.joined(separator: ",") }

    /// The input options that hold the ffmpeg and ffprobe command lines to the same rules.
    package var commandLineOptions: [String] { ["-protocol_whitelist", "file", "-format_whitelist", demuxerList] }

    /// How the command-line tools name the file: as a local file, whatever characters its path has.
    package static func commandLineInput(_ url: URL) -> String { "file:" + url.path }

    /// Refuses a file whose format is not accepted, naming what it is, without opening it as media.
    public func check(_ url: URL) throws {
        var name = [CChar](repeating: 0, count: 128)
        var error = BridgeError()
        guard edc_media_format(url.path, &name, name.count, &error.bytes, error.bytes.count) == 0 else {
            throw MediaError.notMedia(url.path, detail: error.message)
        }
        let format = String(cString: name)
        let accepted = format.split(separator: ",").contains { demuxers.contains(String($0)) }
        if !accepted { throw MediaError.formatNotAccepted(url.path, format: format) }
    }

    /// What a refused file is.
    public enum RefusedKind: Equatable, Sendable {
        case hlsPlaylist, dashManifest, concatList, sessionDescription
        /// A picture, with its format's name when FFmpeg read it as one ("PNG").
        case picture(String?)
        /// Another format FFmpeg knows, by its demuxer's name.
        case other(String)

        public init(format: String) {
            let first = format.split(separator: ",").first.map(String.init) ?? format
            switch first {
            case "hls": self = .hlsPlaylist
            case "dash", "webm_dash_manifest": self = .dashManifest
            case "concat": self = .concatList
            case "sdp", "rtp", "rtsp": self = .sessionDescription
            case "image2", "gif", "apng": self = .picture(nil)
            default:
                if let picture = first.split(separator: "_").first, first.hasSuffix("_pipe") {
                    self = .picture(picture.uppercased())
                } else {
                    self = .other(first)
                }
            }
        }

        /// In words, for the refusal ("an HLS playlist").
        var words: String {
            switch self {
            case .hlsPlaylist: "an HLS playlist"
            case .dashManifest: "a DASH manifest"
            case .concatList: "an FFmpeg concat list"
            case .sessionDescription: "a streaming session description (SDP)"
            case .picture(let name): "a picture" + (name.map { " (\($0))" } ?? "")
            case .other(let name): "a file of a format EdControl does not accept (\(name))"
            }
        }
    }
}
