#!/usr/bin/env bash
# Prints the analysis engine's quality, speed and memory figures, all measured in one run:
#   DER (with its parts), speaker-count accuracy and VAD frame F1 on generated lessons:
#   the main set (2–5 speakers, the targets), short lessons (90 s) and six-speaker lessons;
#   the real-time factor on the main lessons joined (50 min by default); peak memory on 3 hours.
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

# score_set NAME COUNT SECONDS SPEAKERS SEED: generate lessons, analyse, score, summarise.
score_set() {
  local name=$1 count=$2 seconds=$3 speakers=$4 seed=$5 dir="$WORK/$1"
  echo
  echo "== $name: $count generated lessons of $((seconds / 60)) min $((seconds % 60)) s, $speakers speakers (seeds $seed…)"
  "$BIN/lessongen" --out "$dir" --count "$count" --seed "$seed" --duration "$seconds" --speakers "$speakers" >"$dir.txt"
  printf '%-12s %8s %8s %8s %8s %9s %7s\n' lesson DER% miss% FA% conf% hyp/ref VAD-F1
  local exact=0 ders=() f1s=()
  for media in "$dir"/*.wav; do
    local lesson der vad total miss fa conf ref hyp f1
    lesson=$(basename "$media" .wav)
    "$BIN/edcontrol" analyze "$media" --out "$dir/out/$lesson" --quiet >/dev/null
    der=$("$BIN/edcontrol" eval diarization --ref "$dir/$lesson.rttm" --hyp "$dir/out/$lesson/diarization.rttm")
    vad=$("$BIN/edcontrol" eval vad --ref "$dir/$lesson.rttm" --hyp "$dir/out/$lesson/diarization.rttm")
    total=$(awk '/^DER/ {gsub("%","",$2); print $2}' <<<"$der")
    miss=$(awk '/^missed/ {gsub("%","",$3); print $3}' <<<"$der")
    fa=$(awk '/^false alarm/ {gsub("%","",$3); print $3}' <<<"$der")
    conf=$(awk '/^speaker confusion/ {gsub("%","",$3); print $3}' <<<"$der")
    ref=$(awk '/^speakers/ {print $3}' <<<"$der" | tr -d ,); hyp=$(awk '/^speakers/ {print $5}' <<<"$der")
    f1=$(awk '/^F1/ {print $2}' <<<"$vad")
    [[ "$ref" == "$hyp" ]] && exact=$((exact + 1))
    ders+=("$total"); f1s+=("$f1")
    printf '%-12s %8s %8s %8s %8s %4s/%-4s %7s\n' "$lesson" "$total" "$miss" "$fa" "$conf" "$hyp" "$ref" "$f1"
  done
  echo "DER (collar ±0.25 s, %):  $(stats "${ders[@]}")"
  echo "speaker count exact:      $exact of ${#ders[@]}"
  echo "VAD frame F1:             $(stats "${f1s[@]}")"
}
stats() { printf '%s\n' "$@" | awk '{s+=$1; if(NR==1||$1>mx)mx=$1; if(NR==1||$1<mn)mn=$1} END {printf "mean %.3f, min %.3f, max %.3f", s/NR, mn, mx}'; }

score_set main "$LESSONS" $((MINUTES * 60)) 2-5 100
echo "targets: DER ≤ 10 % on each lesson; speaker count exact in ≥ 9 of 10; VAD F1 ≥ 0.95"
score_set short 6 90 2-3 200
score_set six-speakers 3 360 6 300

echo
echo "== speed: the main lessons joined into one recording"
for f in "$WORK"/main/*.wav; do echo "file '$(realpath "$f")'"; done >"$WORK/concat.txt"
ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$WORK/concat.txt" -c:a aac -b:a 64k "$WORK/long.m4a"
long_seconds=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/long.m4a")
start=$(date +%s.%N)
"$BIN/edcontrol" analyze "$WORK/long.m4a" --out "$WORK/out/long" --quiet >/dev/null
end=$(date +%s.%N)
awk -v a="$long_seconds" -v s="$start" -v e="$end" 'BEGIN {printf "real-time factor:         %.4f (%.1f min of audio in %.1f s; target ≤ 0.02)\n", (e-s)/a, a/60, e-s}'

echo
echo "== memory: a 3-hour recording"
loops=$(awk -v a="$long_seconds" 'BEGIN {print int(10800 / a)}')
ffmpeg -nostdin -v error -y -stream_loop "$loops" -i "$WORK/long.m4a" -t 10800 -c copy "$WORK/three-hours.m4a"
/usr/bin/time -f "%M %e" -o "$WORK/time.txt" "$BIN/edcontrol" analyze "$WORK/three-hours.m4a" --out "$WORK/out/three-hours" --quiet >/dev/null
read -r rss_kb elapsed <"$WORK/time.txt"
awk -v k="$rss_kb" -v e="$elapsed" 'BEGIN {printf "peak memory, 3 h:         %.0f MB (analysed in %.0f s, RTF %.4f; target ≤ 500 MB)\n", k/1024, e, e/10800}'
