#!/usr/bin/env bash
# Prints how fast the dashboard's pages are for a 3-hour lesson with 500 incidents,
# measured in one run (after scripts/setup.sh):
#   - a filmed lesson (4 min, 3 people, shouts and an angry face) is uploaded and analysed
#     by the server; its report is then replaced by the same analysis repeated to 3 hours
#     with 500 incidents (`lessongen --stretch-report`): speaker turns, three faces'
#     emotions second by second, and the incidents all over the timeline;
#   - each page is fetched once cold (the report not yet decoded: the page reads the
#     report's overview, which the worker writes beside report.json), then for a few seconds
#     by wrk from a second process with the session cookie: median and 99th percentile.
# Target: every page within 100 ms.
# Usage: scripts/benchmark-dashboard.sh [SECONDS_PER_PAGE=5]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_PAGE=${1:-5}
WORK=${BENCH_DIR:-.build/benchmark-dashboard}
PY=.deps/venv/bin/python
command -v wrk >/dev/null || { echo "==> installing wrk"; ${SUDO:-$([[ $(id -u) -ne 0 ]] && echo sudo)} apt-get install -y -qq wrk >/dev/null; }
rm -rf "$WORK"; mkdir -p "$WORK"
swift build -c release --product edcontrol >/dev/null
swift build -c release --product lessongen >/dev/null
BIN=.build/release
DATA=$WORK/data

echo "== a filmed lesson, analysed by the server"
"$BIN/lessongen" --out "$WORK" --seed 7 --voices 0,6,3 --duration 240 --video --facial-episodes 2 --raised-voice 0.3 >/dev/null
TOKEN=$("$BIN/edcontrol" token create --data "$DATA" --school Bench --role admin)
"$BIN/edcontrol" user create --data "$DATA" --school Bench --email bench@school.test --role manager --password "benchmark password" >/dev/null
"$BIN/edcontrol" serve --data "$DATA" --port 0 --workers 1 >"$WORK/server.out" 2>"$WORK/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for _ in $(seq 200); do URL=$(grep -o 'http://[0-9.:]*' "$WORK/server.out" 2>/dev/null || true); [[ -n $URL ]] && break; sleep 0.1; done
api() { curl -sf -H "Authorization: Bearer $TOKEN" "$@"; }
TEACHER=$(api -X POST -d '{"name": "Bench Teacher"}' "$URL/api/v1/teachers" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
read -r LESSON JOB < <(api -X POST -T "$WORK/lesson-007.mp4" "$URL/api/v1/lessons?filename=lesson-007.mp4&title=Long%20lesson&teacherId=$TEACHER" |
  "$PY" -c 'import json,sys; b=json.load(sys.stdin); print(b["lesson"]["id"], b["job"]["id"])')
until api "$URL/api/v1/jobs/$JOB" | grep -q '"state":"succeeded"'; do sleep 0.5; done

echo "== its report stretched to 3 hours with 500 incidents"
RESULTS=$DATA/lessons/$LESSON/results
"$BIN/lessongen" --stretch-report "$RESULTS/report.json" --stretch-seconds 10800 --stretch-incidents 500 --out "$WORK/long"
cp "$WORK/long/report.json" "$RESULTS/report.json"
cp "$WORK/long/report-overview.json" "$RESULTS/report-overview.json"  # after report.json, as the worker leaves them
ls -l "$RESULTS/report.json" "$RESULTS/report-overview.json" | awk '{n = split($NF, path, "/"); printf "%s: %.1f MB\n", path[n], $5 / 1e6}'

COOKIE=$(curl -s -o /dev/null -D - --data-urlencode "email=bench@school.test" --data-urlencode "password=benchmark password" "$URL/sign-in" |
  grep -i '^set-cookie: edcontrol_session=' | sed 's/^[^:]*: //; s/;.*//')
printf '%-24s %10s %10s %10s %10s %9s\n' page cold_ms p50_ms p99_ms req/s KB
for page in "/lessons/$LESSON" "/lessons" "/teachers/$TEACHER" "/reviews" "/api/v1/lessons/$LESSON/report.json"; do
  cold=$(curl -s -o "$WORK/page.html" -w '%{time_total}' -H "Cookie: $COOKIE" "$URL$page")
  size=$(stat -c %s "$WORK/page.html")
  wrk -t1 -c1 -d"${SECONDS_PER_PAGE}s" --latency -H "Cookie: $COOKIE" "$URL$page" >"$WORK/wrk.txt"
  awk -v page="${page//$LESSON/LESSON}" -v cold="$cold" -v size="$size" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } $1 == "Requests/sec:" { rps = $2 }
    END { sub("/teachers/[0-9a-f-]+", "/teachers/ID", page); printf "%-24s %10.1f %10.1f %10.1f %10.0f %9.0f\n", page, cold * 1000, p50, p99, rps, size / 1024 }' "$WORK/wrk.txt"
done
