import EdControlEngine
import Foundation

/// NIST Rich Transcription Time Marked files: one `SPEAKER` line per turn.
public enum RTTM {
    public static func render(_ turns: [SpeakerTurn], recordingID: String) -> String {
        let id = recordingID.isEmpty ? "lesson" : recordingID.replacingOccurrences(of: " ", with: "_")
        return turns.map { turn in
            String(format: "SPEAKER %@ 1 %.3f %.3f <NA> <NA> %@ <NA> <NA>\n", id, turn.start, turn.duration, turn.speaker)
        }.joined()
    }

    public struct ParseError: Error, CustomStringConvertible, LocalizedError {
        public var description: String
        public var errorDescription: String? { description }
    }

    /// Reads the SPEAKER lines of an RTTM file (other line types are ignored).
    public static func parse(_ text: String, source: String = "RTTM") throws -> [SpeakerTurn] {
        var turns: [SpeakerTurn] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let type = fields.first, type == "SPEAKER" else { continue }
            guard fields.count >= 8, let start = Double(fields[3]), let duration = Double(fields[4]),
                  start >= 0, duration >= 0 else {
                throw ParseError(description: "\(source) line \(number + 1): a SPEAKER line needs start and duration in seconds and a speaker name (field 8): \(line)")
            }
            turns.append(SpeakerTurn(start: start, end: start + duration, speaker: String(fields[7])))
        }
        return turns
    }
}
