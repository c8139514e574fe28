#!/usr/bin/env bash
# Prints the analysis engine's quality, speed and memory figures, all measured in one run:
#   DER (with its parts), speaker-count accuracy and VAD frame F1 on generated lessons:
#   the main set (2–5 speakers, the targets), short lessons (90 s) and six-speaker lessons;
#   planted raised-voice episodes and the voice incidents made of them (precision, recall);
#   the real-time factor on the main lessons joined (50 min by default); peak memory on 3 hours;
#   face detection (BlazeFace vs the Haar baseline) on a labelled set of real photos; filmed
#   lessons (720p30 H.264): face-speaker links, planted facial episodes, analysis time against
#   ffmpeg's full decode of the same file, real-time factor and memory; memory on a 3-hour
#   filmed lesson; facial emotion accuracy and macro-F1 next to the most-frequent-class baseline.
# Transcripts: the conversation's analysis with them, their peak memory on 3 hours, and at the
# end scripts/benchmark-transcription.sh (WER beside faster-whisper, RTF on dense speech).
# Usage: scripts/benchmark.sh [LESSONS=10] [MINUTES=5] [FILMED=4]   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
LESSONS=${1:-10}
MINUTES=${2:-5}
FILMED=${3:-4}
PY=.deps/venv/bin/python
WORK=${BENCH_DIR:-.build/benchmark}
BIN=.build/release
rm -rf "$WORK"; mkdir -p "$WORK"
swift build -c release --product edcontrol >/dev/null
swift build -c release --product lessongen >/dev/null
# Measure copies, so rebuilding while the benchmark runs changes nothing.
cp "$BIN/edcontrol" "$BIN/lessongen" "$WORK/"
BIN=$WORK

# score_set NAME COUNT SECONDS SPEAKERS SEED: generate lessons, analyse, score, summarise.
score_set() {
  local name=$1 count=$2 seconds=$3 speakers=$4 seed=$5 dir="$WORK/$1"
  echo
  echo "== $name: $count generated lessons of $((seconds / 60)) min $((seconds % 60)) s, $speakers speakers (seeds $seed…)"
  "$BIN/lessongen" --out "$dir" --voice-set classic --count "$count" --seed "$seed" --duration "$seconds" --speakers "$speakers" >"$dir.txt"
  printf '%-12s %8s %8s %8s %8s %9s %7s\n' lesson DER% miss% FA% conf% hyp/ref VAD-F1
  local exact=0 ders=() f1s=()
  for media in "$dir"/*.wav; do
    local lesson der vad total miss fa conf ref hyp f1
    lesson=$(basename "$media" .wav)
    "$BIN/edcontrol" analyze "$media" --out "$dir/out/$lesson" --quiet --no-transcript >/dev/null
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
echo "== planted raised voice: 6 generated lessons of $MINUTES min, 2–4 speakers, a fifth of the teacher's turns shouted (seeds 600…)"
"$BIN/lessongen" --out "$WORK/raised" --voice-set classic --count 6 --seed 600 --duration $((MINUTES * 60)) --speakers 2-4 --raised-voice 0.2 >"$WORK/raised.txt"
printf '%-12s %9s %9s %9s %9s %9s\n' lesson planted episodes matched incidents matched
totals=(0 0 0 0 0)
for media in "$WORK"/raised/*.wav; do
  lesson=$(basename "$media" .wav)
  "$BIN/edcontrol" analyze "$media" --out "$WORK/raised/out/$lesson" --quiet --no-transcript >/dev/null
  episodes=$("$BIN/edcontrol" eval raised-voice --ref "$WORK/raised/$lesson.raised-voice.json" --hyp "$WORK/raised/out/$lesson/report.json")
  incidents=$("$BIN/edcontrol" eval incidents --modality voice --ref "$WORK/raised/$lesson.raised-voice.json" --hyp "$WORK/raised/out/$lesson/report.json")
  read -r planted found matched < <(awk '/^episodes/ {gsub(",", ""); print $3, $5, $7}' <<<"$episodes")
  read -r _ flagged flagged_matched < <(awk '/^episodes/ {gsub(",", ""); print $3, $5, $7}' <<<"$incidents")
  printf '%-12s %9s %9s %9s %9s %9s\n' "$lesson" "$planted" "$found" "$matched" "$flagged" "$flagged_matched"
  totals=($((totals[0] + planted)) $((totals[1] + found)) $((totals[2] + matched)) $((totals[3] + flagged)) $((totals[4] + flagged_matched)))
done
awk -v n="${totals[0]}" -v d="${totals[1]}" -v m="${totals[2]}" -v i="${totals[3]}" -v im="${totals[4]}" 'BEGIN {
  printf "raised-voice episodes:    precision %.3f, recall %.3f (%d planted, %d found, %d matched at temporal IoU ≥ 0.5)\n", (d ? m/d : 0), m/n, n, d, m
  printf "voice incidents:          precision %.3f, recall %.3f (%d incidents, %d matched)\n", (i ? im/i : 0), im/n, i, im }'
echo "target: precision and recall ≥ 0.9"

echo
echo "== speed: the main lessons joined into one recording"
for f in "$WORK"/main/*.wav; do echo "file '$(realpath "$f")'"; done >"$WORK/concat.txt"
ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$WORK/concat.txt" -c:a aac -b:a 64k "$WORK/long.m4a"
long_seconds=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/long.m4a")
start=$(date +%s.%N)
"$BIN/edcontrol" analyze "$WORK/long.m4a" --out "$WORK/out/long" --quiet --no-transcript >/dev/null
end=$(date +%s.%N)
awk -v a="$long_seconds" -v s="$start" -v e="$end" 'BEGIN {printf "real-time factor:         %.4f (%.1f min of audio in %.1f s; target ≤ 0.02)\n", (e-s)/a, a/60, e-s}'

echo
echo "== speed: a 10-minute real conversation (the 7 real meeting clips of ../shared/data/real-meetings-dev joined, looped to 600 s), stage by stage"
for f in ../shared/data/real-meetings-dev/*.wav; do echo "file '$(realpath "$f")'"; done >"$WORK/meetings.txt"
ffmpeg -nostdin -v error -y -f concat -safe 0 -stream_loop 2 -i "$WORK/meetings.txt" -t 600 -ar 16000 -ac 1 "$WORK/conversation.wav"
"$BIN/edcontrol" analyze "$WORK/conversation.wav" --out "$WORK/out/conversation" --quiet --no-transcript --timings >"$WORK/conversation.txt"
sed -n '/^stage/,$p' "$WORK/conversation.txt"
awk '/^whole analysis/ {printf "audio analysis RTF:       %.4f (target ≤ 0.012)\n", $(NF-1) / 600}' "$WORK/conversation.txt"
"$BIN/edcontrol" analyze "$WORK/conversation.wav" --out "$WORK/out/conversation-words" --quiet --language en --timings >"$WORK/conversation-words.txt"
awk '/^transcribing/ {t = $(NF-1)} /^whole analysis/ {printf "with transcripts:         RTF %.4f, %.1f s of it transcribing (target ≤ 0.12)\n", $(NF-1) / 600, t}' "$WORK/conversation-words.txt"

echo
echo "== memory: a 3-hour recording"
loops=$(awk -v a="$long_seconds" 'BEGIN {print int(10800 / a)}')
ffmpeg -nostdin -v error -y -stream_loop "$loops" -i "$WORK/long.m4a" -t 10800 -c copy "$WORK/three-hours.m4a"
/usr/bin/time -f "%M %e" -o "$WORK/time.txt" "$BIN/edcontrol" analyze "$WORK/three-hours.m4a" --out "$WORK/out/three-hours" --quiet --no-transcript >/dev/null
read -r rss_kb elapsed <"$WORK/time.txt"
awk -v k="$rss_kb" -v e="$elapsed" 'BEGIN {printf "peak memory, 3 h:         %.0f MB (analysed in %.0f s, RTF %.4f; target ≤ 500 MB)\n", k/1024, e, e/10800}'
ffmpeg -nostdin -v error -y -stream_loop 17 -i "$WORK/conversation.wav" -t 10800 -c:a aac -b:a 64k "$WORK/three-hours-talk.m4a"
/usr/bin/time -f "%M %e" -o "$WORK/time-words.txt" "$BIN/edcontrol" analyze "$WORK/three-hours-talk.m4a" --out "$WORK/out/three-hours-talk" --quiet --language en >/dev/null
read -r rss_kb elapsed <"$WORK/time-words.txt"
awk -v k="$rss_kb" -v e="$elapsed" 'BEGIN {printf "… with transcripts:       %.0f MB (the conversation looped to 3 h, analysed in %.0f s, RTF %.4f; target ≤ 700 MB)\n", k/1024, e, e/10800}'

echo
echo "== face detection: labelled images of real people (galleries, small faces, faceless pictures, degraded)"
"$BIN/lessongen" --face-scenes 200 --seed 7 --out "$WORK/faces"
"$BIN/edcontrol" eval faces --labels "$WORK/faces/labels.json" --min-face-size 48
echo "targets: recall ≥ 0.95 for frontal faces ≥ 48 px, ≤ 0.05 false detections per image, DNN better than Haar on both"

echo
echo "== filmed lessons: $FILMED galleries ($MINUTES min, 2–5 people, 3 planted facial episodes each) and 2 speaker views"
printf '%-28s %7s %7s %9s %9s %6s %7s %7s %8s\n' lesson Mbit/s links face-P face-R ffmpeg analyse ratio RTF
filmed() {
  local name=$1 seed=$2 speakers=$3 layout=$4 episodes=$5 dir="$WORK/filmed"
  "$BIN/lessongen" --out "$dir" --voice-set classic --seed "$seed" --duration $((MINUTES * 60)) --speakers "$speakers" --video --layout "$layout" \
    --facial-episodes "$episodes" >/dev/null
  local media="$dir/lesson-$(printf %03d "$seed").mp4" base="$dir/lesson-$(printf %03d "$seed")"
  local start mid end
  start=$(date +%s.%N)
  ffmpeg -nostdin -v error -i "$media" -f null -
  mid=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$dir/$seed.rss" "$BIN/edcontrol" analyze "$media" --out "$dir/out-$seed" --quiet --no-transcript --timings >"$dir/$seed.times"
  end=$(date +%s.%N)
  "$BIN/edcontrol" eval diarization --ref "$base.rttm" --hyp "$dir/out-$seed/diarization.rttm" >"$dir/$seed.der"
  local links p r
  # Each person's face is found as one track linked to the speaker diarization found for them.
  links=$("$PY" - "$base.faces.json" "$dir/out-$seed/report.json" "$dir/$seed.der" <<'PYTHON'
import json, sys
placed, report = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
mapping = dict(line.split()[1::2] for line in open(sys.argv[3]) if line.startswith("mapping"))
def on(face, second):
    box = second.get("box")
    if not box: return False
    x, y, t = box[0] + box[2] / 2, box[1] + box[3] / 2, second["t"] + 0.5
    b = face["box"]
    return b["x"] < x < b["x"] + b["width"] and b["y"] < y < b["y"] + b["height"] and any(v["start"] <= t < v["end"] for v in face["visible"])
right = 0
for face in placed:
    tracks = sorted(report["video"]["tracks"], key=lambda t: -sum(on(face, s) for s in t["timeline"]))
    right += bool(tracks) and tracks[0].get("speaker") is not None and tracks[0].get("speaker") == mapping.get(face["speaker"])
print(f"{right}/{len(placed)}")
PYTHON
)
  if [[ -f "$base.facial-episodes.json" ]]; then
    local score
    score=$("$BIN/edcontrol" eval incidents --ref "$base.facial-episodes.json" --hyp "$dir/out-$seed/report.json" --modality face)
    p=$(awk '/^precision/ {print $2}' <<<"$score"); r=$(awk '/^recall/ {print $2}' <<<"$score")
  else
    p=$("$PY" -c "import json,sys; print(sum(i['modality'] != 'voice' for i in json.load(open(sys.argv[1]))['incidents']), 'FP')" "$dir/out-$seed/report.json"); r=-
  fi
  local bitrate
  bitrate=$(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$media")
  awk -v n="$name" -v b="$bitrate" -v l="$links" -v p="$p" -v r="$r" -v s="$start" -v m="$mid" -v e="$end" -v d=$((MINUTES * 60)) -v rss="$(cat "$dir/$seed.rss")" \
    'BEGIN {printf "%-28s %7.1f %7s %9s %9s %6.1f %7.1f %7.2f %8.4f  (%.0f MB)\n", n, b/1e6, l, p, r, m-s, e-m, (e-m)/(m-s), (e-m)/d, rss/1024}'
}
for i in $(seq 1 "$FILMED"); do filmed "gallery-$i" $((400 + i)) 2-5 gallery 3; done
filmed speaker-view-1 501 3 speaker-view 0
filmed speaker-view-2 502 4 speaker-view 0
echo "links: faces linked to the right speaker; face-P/R: planted facial episodes (temporal IoU ≥ 0.5); speaker views: facial incidents found (none planted)"
echo "ratio: analysis time / ffmpeg's full decode of the same file, measured back to back (target ≤ 0.6); RTF target ≤ 0.05; memory target ≤ 1 GB"
echo "gallery-1, stage by stage:"
sed -n '/^stage/,$p' "$WORK/filmed/401.times"

echo
echo "== memory: a 3-hour filmed lesson (gallery-1 looped)"
ffmpeg -nostdin -v error -y -stream_loop 40 -i "$WORK/filmed/lesson-401.mp4" -t 10800 -c copy "$WORK/three-hours.mp4"
/usr/bin/time -f "%M %e" -o "$WORK/time-video.txt" "$BIN/edcontrol" analyze "$WORK/three-hours.mp4" --out "$WORK/out/three-hours-video" --quiet --no-transcript >/dev/null
read -r rss_kb elapsed <"$WORK/time-video.txt"
awk -v k="$rss_kb" -v e="$elapsed" 'BEGIN {printf "peak memory, 3 h video:   %.0f MB (analysed in %.0f s, RTF %.4f; target ≤ 1 GB)\n", k/1024, e, e/10800}'

echo
echo "== facial emotion: labelled photos of real people (scripts/setup.sh fetches them)"
"$BIN/edcontrol" eval emotions --labels .deps/photos/expressions/labels.json

echo
echo "== transcription: WER on real speech beside faster-whisper, RTF, a 45-minute filmed lesson"
BENCH_DIR="$WORK/transcription" scripts/benchmark-transcription.sh
