import Foundation

/// One real person whose recorded speech a Debian package ships, and where to find it.
public struct RecordedSpeaker: Sendable, Hashable, CustomStringConvertible {
    public enum Sex: String, Sendable, Codable { case female, male }
    /// Which part of the corpus a speaker belongs to: thresholds are tuned on lessons made of
    /// `train` speakers only, and the `test` speakers are heard only when reporting figures.
    public enum Split: String, Sendable, Codable, CaseIterable { case train, test }

    /// Where the speaker's clips are inside the package.
    enum Clips: Sendable, Hashable {
        /// Every file with one of these extensions under a folder (recursively).
        case folder(String, extensions: [String])
        /// Fish Fillets NG dialogue: `sound/<level>/<language>/<prefix>-<character>-<line>.ogg`.
        case filletsDialogue(language: String, character: String)
        case files([String])
    }

    public let id: String
    public let sex: Sex
    /// ISO 639-1 code of what they speak.
    public let language: String
    /// The Debian package that ships the recordings, and its licence.
    public let package: String
    public let licence: String
    public let split: Split
    /// Median pitch (Hz) measured on 15 clips by autocorrelation: shows which same-sex
    /// pairs are close.
    public let medianPitchHz: Int
    /// Enough material (≥ 10 min) to be a teacher who talks for most of a lesson.
    public let canTeach: Bool
    let clips: Clips

    public var description: String { "\(id) (\(sex.rawValue), \(language), \(package))" }

    /// Paths of the speaker's clips, sorted so a seed always picks the same ones; empty when
    /// the package is not installed.
    public func files() -> [String] {
        switch clips {
        case .files(let paths):
            return paths.filter { FileManager.default.fileExists(atPath: $0) }
        case .folder(let folder, let extensions):
            return Self.enumerate(folder) { extensions.contains(($0 as NSString).pathExtension) }
        case .filletsDialogue(let language, let character):
            return Self.enumerate(Self.filletsSound) { path in
                let parts = path.split(separator: "/")
                guard parts.count >= 2, parts[parts.count - 2] == language, path.hasSuffix(".ogg") else { return false }
                let name = parts[parts.count - 1].split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
                return name.count == 3 && name[1] == character
            }
        }
    }

    private static let filletsSound = "/usr/share/games/fillets-ng/sound"

    private static func enumerate(_ folder: String, where keep: (String) -> Bool) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        return walker.compactMap { $0 as? String }.filter(keep).map { "\(folder)/\($0)" }.sorted()
    }
}

extension RecordedSpeaker {
    static let librivoxReader = RecordedSpeaker(
        id: "en-librivox-austen", sex: .male, language: "en", package: "pocketsphinx-testdata",
        licence: "public domain (LibriVox)", split: .train, medianPitchHz: 98, canTeach: true,
        clips: .files(["0870", "0880", "0890", "0920", "0930"].map {
            "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-\($0).wav"
        }))

    /// Every real speaker the generator knows, split by speaker. Voices from the same package
    /// never straddle the split unless they are different people (the two fish of Fish Fillets
    /// are voiced by a woman and a man per language; each language has its own actors).
    public static let catalogue: [RecordedSpeaker] = [
        // Train: tune on lessons of these.
        RecordedSpeaker(id: "cs-fillets-small-fish", sex: .female, language: "cs", package: "fillets-ng-data-cs",
                        licence: "GPL-2+", split: .train, medianPitchHz: 262, canTeach: true,
                        clips: .filletsDialogue(language: "cs", character: "m")),
        RecordedSpeaker(id: "cs-fillets-big-fish", sex: .male, language: "cs", package: "fillets-ng-data-cs",
                        licence: "GPL-2+", split: .train, medianPitchHz: 137, canTeach: true,
                        clips: .filletsDialogue(language: "cs", character: "v")),
        RecordedSpeaker(id: "en-asterisk-allison", sex: .female, language: "en", package: "asterisk-core-sounds-en-wav",
                        licence: "CC-BY-SA-3.0", split: .train, medianPitchHz: 200, canTeach: true,
                        clips: .folder("/usr/share/asterisk/sounds/en_US_f_Allison", extensions: ["wav"])),
        RecordedSpeaker(id: "it-asterisk-carlo", sex: .male, language: "it", package: "asterisk-core-sounds-it-wav",
                        licence: "CC-BY-SA-3.0", split: .train, medianPitchHz: 178, canTeach: true,
                        clips: .folder("/usr/share/asterisk/sounds/it_IT_m_Carlo", extensions: ["wav"])),
        RecordedSpeaker(id: "es-asterisk-co", sex: .female, language: "es", package: "asterisk-prompt-es-co",
                        licence: "GPL-2", split: .train, medianPitchHz: 229, canTeach: true,
                        clips: .folder("/usr/share/asterisk/sounds/es", extensions: ["gsm"])),
        RecordedSpeaker(id: "fr-asterisk-armelle", sex: .female, language: "fr", package: "asterisk-prompt-fr-armelle",
                        licence: "GPL-2", split: .train, medianPitchHz: 213, canTeach: true,
                        clips: .folder("/usr/share/asterisk/sounds/fr", extensions: ["gsm"])),
        librivoxReader,
        // Test: never heard while tuning.
        RecordedSpeaker(id: "nl-fillets-small-fish", sex: .female, language: "nl", package: "fillets-ng-data-nl",
                        licence: "GPL-2+", split: .test, medianPitchHz: 219, canTeach: true,
                        clips: .filletsDialogue(language: "nl", character: "m")),
        RecordedSpeaker(id: "nl-fillets-big-fish", sex: .male, language: "nl", package: "fillets-ng-data-nl",
                        licence: "GPL-2+", split: .test, medianPitchHz: 142, canTeach: true,
                        clips: .filletsDialogue(language: "nl", character: "v")),
        RecordedSpeaker(id: "ru-asterisk-ivrvoice", sex: .female, language: "ru", package: "asterisk-core-sounds-ru-wav",
                        licence: "CC-BY-3.0", split: .test, medianPitchHz: 213, canTeach: true,
                        clips: .folder("/usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU", extensions: ["wav"])),
        RecordedSpeaker(id: "it-asterisk-menardi", sex: .female, language: "it", package: "asterisk-prompt-it-menardi-gsm",
                        licence: "GPL-2", split: .test, medianPitchHz: 178, canTeach: true,
                        clips: .folder("/usr/share/asterisk/sounds/it_IT_f_Menardi", extensions: ["gsm"])),
        RecordedSpeaker(id: "fr-asterisk-june", sex: .female, language: "fr", package: "asterisk-core-sounds-fr-wav",
                        licence: "CC-BY-SA-3.0", split: .test, medianPitchHz: 200, canTeach: true,
                        clips: .folder("/usr/share/asterisk/sounds/fr_CA_f_June", extensions: ["wav"])),
        // A radio amateur's 112-s test recording (8 kHz): enough for a student, not a teacher.
        RecordedSpeaker(id: "en-codec2-ve9qrp", sex: .male, language: "en", package: "codec2-examples",
                        licence: "LGPL-2.1", split: .test, medianPitchHz: 93, canTeach: false,
                        clips: .files(["/usr/share/codec2/wav/ve9qrp.wav"])),
    ]

    /// The Debian packages the catalogue needs (scripts/setup.sh --with-test-tools installs them).
    public static var packages: [String] { Array(Set(catalogue.map(\.package))).sorted() }
}
