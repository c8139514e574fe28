#!/usr/bin/env bash
# Sets up everything, then analyses a demo lesson: a generated 3-minute video lesson
# with a teacher and two students (synthetic voices and a real LibriVox reader).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
OUT=${1:-demo}
mkdir -p "$OUT"
echo "==> generating a demo lesson in $OUT/"
.build/release/lessongen --out "$OUT" --seed 42 --voices 0,6,3 --duration 180 --video >/dev/null
echo "==> analysing it"
.build/release/edcontrol analyze "$OUT/lesson-042.mp4" --out "$OUT/report"
echo "==> scoring it against the generator's ground truth"
.build/release/edcontrol eval diarization --ref "$OUT/lesson-042.rttm" --hyp "$OUT/report/diarization.rttm"
echo
echo "Report: $OUT/report/report.json   RTTM: $OUT/report/diarization.rttm"
echo "Analyse your own recording: .build/release/edcontrol analyze LESSON.mp4 --out DIR"
