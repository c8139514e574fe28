#!/usr/bin/env bash
# Prints the analysis engine's quality, speed and memory figures, all measured in one run:
#   diarization error rate and speaker-count accuracy on generated lessons (2–5 speakers),
#   VAD frame F1, real-time factor on a 45+ minute lesson, peak memory on a 3-hour one.
# Usage: scripts/benchmark.sh [LESSONS=10] [MINUTES=5]      (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
LESSONS=${1:-10}
MINUTES=${2:-5}
WORK=${BENCH_DIR:-.build/benchmark}
BIN=.build/release
rm -rf "$WORK"; mkdir -p "$WORK"
swift build -c release --product edcontrol >/dev/null
swift build -c release --product lessongen >/dev/null

echo "== generating $LESSONS lessons of $MINUTES min (2–5 speakers, seeds 100…)"
"$BIN/lessongen" --out "$WORK/lessons" --count "$LESSONS" --seed 100 --duration $((MINUTES * 60)) --speakers 2-5 >"$WORK/lessons.txt"

printf '%-12s %8s %8s %8s %8s %9s %7s\n' lesson DER% miss% FA% conf% speakers VAD-F1
exact=0
ders=(); f1s=()
for media in "$WORK"/lessons/*.wav; do
  name=$(basename "$media" .wav)
  "$BIN/edcontrol" analyze "$media" --out "$WORK/out/$name" --quiet >/dev/null
  der=$("$BIN/edcontrol" eval diarization --ref "$WORK/lessons/$name.rttm" --hyp "$WORK/out/$name/diarization.rttm")
  vad=$("$BIN/edcontrol" eval vad --ref "$WORK/lessons/$name.rttm" --hyp "$WORK/out/$name/diarization.rttm")
  pick() { awk -v k="$1" '$0 ~ "^"k {gsub("%","",$0); print $(NF-'"${2:-0}"')}' <<<"$der"; }
  total=$(awk '/^DER/ {gsub("%","",$2); print $2}' <<<"$der")
  miss=$(awk '/^missed/ {gsub("%","",$3); print $3}' <<<"$der")
  fa=$(awk '/^false alarm/ {gsub("%","",$3); print $3}' <<<"$der")
  conf=$(awk '/^speaker confusion/ {gsub("%","",$3); print $3}' <<<"$der")
  ref=$(awk '/^speakers/ {print $3}' <<<"$der" | tr -d ,); hyp=$(awk '/^speakers/ {print $5}' <<<"$der")
  f1=$(awk '/^F1/ {print $2}' <<<"$vad")
  [[ "$ref" == "$hyp" ]] && exact=$((exact + 1))
  ders+=("$total"); f1s+=("$f1")
  printf '%-12s %8s %8s %8s %8s %4s/%-4s %7s\n' "$name" "$total" "$miss" "$fa" "$conf" "$hyp" "$ref" "$f1"
done
stats() { printf '%s\n' "$@" | awk '{s+=$1; if(NR==1||$1>mx)mx=$1; if(NR==1||$1<mn)mn=$1} END {printf "mean %.2f, min %.2f, max %.2f", s/NR, mn, mx}'; }
echo "DER (collar ±0.25 s, %):  $(stats "${ders[@]}")   target ≤ 10 each"
echo "speaker count exact:      $exact of ${#ders[@]}   target ≥ 9 of 10"
echo "VAD frame F1:             $(stats "${f1s[@]}")   target ≥ 0.95"

echo "== speed: all lessons joined into one recording"
for f in "$WORK"/lessons/*.wav; do echo "file '$(realpath "$f")'"; done >"$WORK/concat.txt"
ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$WORK/concat.txt" -c:a aac -b:a 64k "$WORK/long.m4a"
long_seconds=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/long.m4a")
start=$(date +%s.%N)
"$BIN/edcontrol" analyze "$WORK/long.m4a" --out "$WORK/out/long" --quiet >/dev/null
end=$(date +%s.%N)
awk -v a="$long_seconds" -v s="$start" -v e="$end" 'BEGIN {printf "real-time factor:         %.4f (%.1f min of audio in %.1f s; target ≤ 0.02)\n", (e-s)/a, a/60, e-s}'

echo "== memory: a 3-hour recording"
loops=$(awk -v a="$long_seconds" 'BEGIN {print int(10800 / a)}')
ffmpeg -nostdin -v error -y -stream_loop "$loops" -i "$WORK/long.m4a" -t 10800 -c copy "$WORK/three-hours.m4a"
/usr/bin/time -f "%M %e" -o "$WORK/time.txt" "$BIN/edcontrol" analyze "$WORK/three-hours.m4a" --out "$WORK/out/three-hours" --quiet >/dev/null
read -r rss_kb elapsed <"$WORK/time.txt"
awk -v k="$rss_kb" -v e="$elapsed" 'BEGIN {printf "peak memory, 3 h:         %.0f MB (analysed in %.0f s, RTF %.4f; target ≤ 500 MB)\n", k/1024, e, e/10800}'
