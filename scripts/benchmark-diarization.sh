#!/usr/bin/env bash
# Prints the diarization figures, all measured in one run:
#   real meetings, TRAIN split (../shared/data/real-meetings-dev, tuned on): per-file DER with
#     its parts, speaker counts, mean/median/time-weighted DER; voice activity (frames pooled)
#     of the segmentation model next to the silero VAD baseline;
#   real meetings, TEST split (scripts/data/real-meetings-test.sh; never tuned on): the same;
#   real-voice lessons (scripts/data/real-voice-lessons.sh: online calls mixed from real people's
#     recordings), TRAIN split (tuned on) and TEST split (speakers never tuned on): the same, plus
#     the lessons whose participants are all of one sex, and overlapped-speech detection;
#   generated lessons (lessongen --voice-set classic, 2–5 speakers, 5 min): DER and counts;
#   speed: audio analysis real-time factor on the generated lessons joined, and peak memory on a
#     3-hour recording.
# Transcription is switched off here: scripts/benchmark-transcription.sh measures it.
# Usage: scripts/benchmark-diarization.sh [LESSONS=10] [REAL_VOICE_LESSONS=12]   (after scripts/setup.sh --with-test-tools)
set -euo pipefail
cd "$(dirname "$0")/.."
LESSONS=${1:-10}
REAL_VOICE_LESSONS=${2:-12}
WORK=${BENCH_DIR:-.build/benchmark-diarization}
SHARED=${EDCONTROL_SHARED:-../shared}
rm -rf "$WORK"; mkdir -p "$WORK"
swift build -c release --product edcontrol >/dev/null
swift build -c release --product lessongen >/dev/null
# Measure copies, so rebuilding while the benchmark runs changes nothing.
cp .build/release/edcontrol .build/release/lessongen "$WORK/"
BIN=$WORK
scripts/data/real-meetings-test.sh >/dev/null
scripts/data/real-voice-lessons.sh "$REAL_VOICE_LESSONS" >/dev/null
REAL_VOICES=.deps/corpora/real-voice-lessons

# corpus NAME DIR: analyse every DIR/*.wav, score DER and voice activity (with the silero baseline).
corpus() {
  local name=$1 dir=$2 out="$WORK/$1"
  mkdir -p "$out/hyp" "$out/silero" "$out/ref"
  cp "$dir"/*.rttm "$out/ref/"
  for media in "$dir"/*.wav; do
    local id; id=$(basename "$media" .wav)
    "$BIN/edcontrol" analyze "$media" --out "$out/hyp/$id" --quiet --no-transcript >/dev/null
    "$BIN/edcontrol" detect-speech "$media" >"$out/silero/$id.rttm"
  done
  "$BIN/edcontrol" eval diarization --ref-dir "$out/ref" --hyp-dir "$out/hyp"
  printf 'voice activity, segmentation: %s\n' "$("$BIN/edcontrol" eval vad --ref-dir "$out/ref" --hyp-dir "$out/hyp" | head -3 | tr -s ' ' | tr '\n' ' ')"
  printf 'voice activity, silero VAD:   %s\n' "$("$BIN/edcontrol" eval vad --ref-dir "$out/ref" --hyp-dir "$out/silero" | head -3 | tr -s ' ' | tr '\n' ' ')"
}

echo "== real meetings, TRAIN split (tuned on): $SHARED/data/real-meetings-dev"
corpus real-train "$SHARED/data/real-meetings-dev"
echo "targets: mean DER ≤ 25 %, speaker count exact ≥ 5 of 7, voice activity recall ≥ 0.9 at precision ≥ 0.9"
echo
echo "== real meetings, TEST split (never tuned on): .deps/corpora/real-meetings-test"
corpus real-test .deps/corpora/real-meetings-test
echo
for split in train test; do
  note=$([[ $split == train ]] && echo "tuned on" || echo "speakers never tuned on")
  echo "== real-voice lessons, ${split^^} split ($note): $REAL_VOICES/$split"
  corpus "real-voice-$split" "$REAL_VOICES/$split"
  same=$WORK/real-voice-$split/same-sex
  mkdir -p "$same"
  for description in $(grep -l '"sameSex" : true' "$REAL_VOICES/$split"/*.lesson.json); do
    cp "${description%.lesson.json}.rttm" "$same/"
  done
  echo "-- lessons whose participants are all of one sex ($(ls "$same" | wc -l)):"
  "$BIN/edcontrol" eval diarization --ref-dir "$same" --hyp-dir "$WORK/real-voice-$split/hyp" | tail -3
  echo
done
echo "targets (test split): mean DER ≤ 8 %, count exact ≥ 90 %, same-sex lessons ≤ 10 %, overlapped speech recall ≥ 0.6 at precision ≥ 0.7"
echo
echo "== generated lessons: $LESSONS × 5 min, 2–5 speakers (lessongen --seed 100…)"
"$BIN/lessongen" --out "$WORK/generated" --voice-set classic --count "$LESSONS" --seed 100 --duration 300 --speakers 2-5 >/dev/null
mkdir -p "$WORK/generated/ref"; cp "$WORK"/generated/*.rttm "$WORK/generated/ref/"
for media in "$WORK"/generated/*.wav; do
  "$BIN/edcontrol" analyze "$media" --out "$WORK/generated/hyp/$(basename "$media" .wav)" --quiet --no-transcript >/dev/null
done
"$BIN/edcontrol" eval diarization --ref-dir "$WORK/generated/ref" --hyp-dir "$WORK/generated/hyp"
echo "target: no worse than the previous pipeline (mean 0.9 %, count exact 10 of 10)"
echo
echo "== speed and memory"
for media in "$WORK"/generated/*.wav; do echo "file '$(realpath "$media")'"; done >"$WORK/joined.txt"
ffmpeg -nostdin -v error -f concat -safe 0 -i "$WORK/joined.txt" -c copy "$WORK/joined.wav"
seconds=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/joined.wav")
start=$(date +%s.%N)
"$BIN/edcontrol" analyze "$WORK/joined.wav" --out "$WORK/joined" --quiet --no-transcript >/dev/null
end=$(date +%s.%N)
awk -v s="$seconds" -v a="$start" -v b="$end" 'BEGIN { printf "audio real-time factor:   %.4f (%.0f s of audio in %.1f s; target ≤ 0.03)\n", (b-a)/s, s, b-a }'
ffmpeg -nostdin -v error -stream_loop 35 -i "$WORK/generated/$(ls "$WORK/generated" | grep -m1 '\.wav$')" -t 10800 -ac 1 -ar 16000 "$WORK/three-hours.wav"
/usr/bin/time -f '%M %e' -o "$WORK/time.txt" "$BIN/edcontrol" analyze "$WORK/three-hours.wav" --out "$WORK/three-hours" --quiet --no-transcript >/dev/null
read -r kb wall <"$WORK/time.txt"
awk -v k="$kb" -v w="$wall" 'BEGIN { printf "3-hour recording:         peak memory %.0f MB, real-time factor %.4f (target ≤ 500 MB)\n", k/1024, w/10800 }'
