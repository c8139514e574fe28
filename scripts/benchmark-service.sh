#!/usr/bin/env bash
# Prints the service's figures, measured in one run (after scripts/setup.sh):
#   - status and report requests at ~200 requests/s from a second process (wrk) while the
#     server's one worker transcribes a 3-hour recording of speech: throughput and latency percentiles;
#   - uploading a 1 GB recording: throughput next to this disk's sequential write speed
#     (dd, same file system), and the server's memory before, during and after.
# Usage: scripts/benchmark-service.sh [SECONDS=30]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_OF_LOAD=${1:-30}
WORK=${BENCH_DIR:-.build/benchmark-service}
BIN=.build/release
command -v wrk >/dev/null || { echo "==> installing wrk"; ${SUDO:-$([[ $(id -u) -ne 0 ]] && echo sudo)} apt-get install -y -qq wrk >/dev/null; }
rm -rf "$WORK"; mkdir -p "$WORK"
swift build -c release --product edcontrol >/dev/null
cp "$BIN/edcontrol" "$WORK/"
BIN=$WORK
PY=.deps/venv/bin/python

source scripts/dev/bench.sh
job_state() { curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/jobs/$1" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["state"], j["progress"])'; }

echo "== requests while a worker is busy"
ffmpeg -nostdin -v error -y -stream_loop -1 -i /usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav \
  -t 10800 -c:a aac -b:a 48k "$WORK/three-hours.m4a"
start_server busy 1
read -r LESSON JOB < <(upload .deps/videos/crying-then-laughing.mp4)
until [[ $(job_state "$JOB") == succeeded* ]]; do sleep 0.5; done
read -r _ BUSY_JOB < <(upload "$WORK/three-hours.m4a")
# The load starts once the worker transcribes (the heaviest stage: whisper.cpp on every core).
job_stage() { curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/jobs/$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("stage") or "")'; }
until [[ $(job_stage "$BUSY_JOB") == transcribing* ]]; do sleep 1; done
cat >"$WORK/load.lua" <<LUA
-- Half report.json, half job status; 10 connections, each pausing 45 ms: about 200 requests/s.
local paths = {"/api/v1/lessons/$LESSON/report.json", "/api/v1/jobs/$BUSY_JOB"}
local n = 0
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function() n = n + 1; return wrk.format("GET", paths[n % 2 + 1]) end
delay = function() return 45 end
LUA
wrk -t2 -c10 -d"${SECONDS_OF_LOAD}s" --latency -s "$WORK/load.lua" "$URL" | tee "$WORK/wrk.txt" | grep -E "Requests/sec|Latency  |50%|90%|99%|requests in|Non-2xx"
echo "worker still busy after the load: $(job_state "$BUSY_JOB")"
echo "worker stage after the load: $(job_stage "$BUSY_JOB")"
echo "target: p99 < 50 ms at 200 requests/s with a worker transcribing"
kill "$PID"; wait "$PID" 2>/dev/null || true

echo
echo "== uploading 1 GB"
start_server upload 0
upload_gigabyte "streamed to disk, checked with ffprobe, synced"
echo "target:      ratio ≥ 0.80"
kill "$PID"; wait "$PID" 2>/dev/null || true
