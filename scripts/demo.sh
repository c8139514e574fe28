#!/usr/bin/env bash
# Sets up everything, analyses a demo lesson on the command line (report.html), then starts
# the EdControl server on the embedded store (SQLite and files in DIR/data), uploads the
# same lesson through the REST API, waits for its analysis, and prints the dashboard's
# address with a manager's sign-in, and an admin API token. The server keeps running until
# Ctrl-C.
# Usage: scripts/demo.sh [DIR=demo] [PORT=8080]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
OUT=${1:-demo}
PORT=${2:-8080}
BIN=.build/release
mkdir -p "$OUT"
echo "==> generating a demo lesson in $OUT/: a filmed 3-minute lesson, a teacher and two students"
"$BIN/lessongen" --out "$OUT" --seed 42 --voices 0,6,3 --duration 180 --video --facial-episodes 1 --raised-voice 0.15 >/dev/null
echo "==> analysing it on the command line"
"$BIN/edcontrol" analyze "$OUT/lesson-042.mp4" --out "$OUT/report"
echo "==> scoring it against the generator's ground truth"
"$BIN/edcontrol" eval diarization --ref "$OUT/lesson-042.rttm" --hyp "$OUT/report/diarization.rttm"

echo "==> starting the server on port $PORT (data in $OUT/data)"
rm -rf "$OUT/data"  # each demo starts from an empty store
TOKEN=$("$BIN/edcontrol" token create --data "$OUT/data" --school "Demo school" --role admin --name "demo admin")
EMAIL=manager@demo.school
PASSWORD=$(LC_ALL=C tr -dc 'a-km-zA-HJ-NP-Z2-9' </dev/urandom | head -c 16 || true)
"$BIN/edcontrol" user create --data "$OUT/data" --school "Demo school" --email "$EMAIL" --role manager \
  --name "Demo manager" --password "$PASSWORD" >/dev/null
"$BIN/edcontrol" serve --data "$OUT/data" --port "$PORT" --workers 1 2>>"$OUT/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT INT TERM
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && break; sleep 0.2; done
echo "==> uploading the lesson through the API and waiting for its analysis"
TEACHER=$(curl -sf -H "Authorization: Bearer $TOKEN" -X POST -d '{"name": "Anna Petrova"}' "$URL/api/v1/teachers" |
  .deps/venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["id"])')
read -r LESSON JOB < <(curl -sf -H "Authorization: Bearer $TOKEN" -X POST -T "$OUT/lesson-042.mp4" \
  "$URL/api/v1/lessons?filename=lesson-042.mp4&title=Demo%20lesson%20(algebra%2C%207B)&teacherId=$TEACHER" |
  .deps/venv/bin/python -c 'import json,sys; b=json.load(sys.stdin); print(b["lesson"]["id"], b["job"]["id"])')
while :; do
  STATE=$(curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/jobs/$JOB" | .deps/venv/bin/python -c 'import json,sys; j=json.load(sys.stdin); print(j["state"], round(100*j["progress"]))')
  printf '\r    job %s: %s%%   ' "$JOB" "${STATE/ /, }"
  [[ $STATE == succeeded* || $STATE == failed* || $STATE == cancelled* ]] && break
  sleep 1
done
echo
cat <<TEXT

EdControl is running. Open the dashboard and sign in:

  $URL/lessons/$LESSON
  email:    $EMAIL
  password: $PASSWORD

The demo lesson's page opens with its worst moment one click away (the "Worst moment" button
plays it; the incidents beside the player can be confirmed or rejected).

Admin API token for "Demo school" (shown once): $TOKEN

  curl -H "Authorization: Bearer $TOKEN" $URL/api/v1/lessons
  curl -H "Authorization: Bearer $TOKEN" -X POST -T LESSON.mp4 "$URL/api/v1/lessons?filename=LESSON.mp4"

Operators' metrics (every school's figures) take the installation's metrics token:
  curl -H "Authorization: Bearer $(cat $OUT/data/metrics.token)" $URL/metrics

The command-line report of the same lesson: $OUT/report/report.html
Server log: $OUT/server.log
Press Ctrl-C to stop the server.
TEXT
wait $SERVER
