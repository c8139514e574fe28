#!/usr/bin/env bash
# Prints the cluster's capacity figures, measured in one run on a throwaway PostgreSQL
# cluster and SeaweedFS (after scripts/setup.sh --with-test-tools and a release build):
#   - the job queue: claims per second with JOBS queued and 8 claimers (target ≥ 500/s), and
#     how soon an idle worker on another connection takes a new job (p50, p99);
#   - uploading a 1 GB recording through an API node that stores in S3, next to dd to the
#     local disk in the same run, and the node's memory;
#   - analysing a 3-minute filmed lesson on one worker (all of this machine's cores), and
#     from it a capacity table: lessons per day per worker, times N workers.
# Usage: scripts/benchmark-cluster.sh [JOBS=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-10000}
BIN=.build/release
WORK=$(mktemp -d "${BENCH_DIR:-.build}/benchmark-cluster.XXXXXX")
WORK=$(cd "$WORK" && pwd)
# Its own temporary folder: the server runs as another user when this runs as root, and
# must reach it.
POSTGRES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/edcontrol-postgres.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/dev/postgres.sh stop "$POSTGRES_DIR" || true
  scripts/dev/seaweedfs.sh stop "$WORK/s3" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PY=.deps/venv/bin/python
DATABASE=$(scripts/dev/postgres.sh start "$POSTGRES_DIR")
ENDPOINT=$(scripts/dev/seaweedfs.sh start "$WORK/s3" lessons)
STORAGE="s3://lessons?endpoint=$ENDPOINT&region=us-east-1"
export AWS_ACCESS_KEY_ID=edcontrol-test AWS_SECRET_ACCESS_KEY=edcontrol-test-secret
psql "$DATABASE" -XAtq -c "CREATE DATABASE queue" -c "CREATE DATABASE service"
QUEUE_DB=${DATABASE/\/edcontrol\?/\/queue?}
SERVICE_DB=${DATABASE/\/edcontrol\?/\/service?}

echo "== job queue on PostgreSQL $(psql "$DATABASE" -XAtq -c 'SHOW server_version')"
"$BIN/edcontrol" queue benchmark --data "$WORK/queue" --database "$QUEUE_DB" --jobs "$JOBS" --claimers 8

start_node() {  # start_node NAME WORKERS [--storage …] -> sets URL, PID, TOKEN
  local data="$WORK/$1"
  TOKEN=$("$BIN/edcontrol" token create --data "$data" --database "$SERVICE_DB" --school Bench --role admin)
  "$BIN/edcontrol" serve --data "$data" --database "$SERVICE_DB" --port 0 --workers "$2" "${@:3}" >"$data.out" 2>"$data.log" &
  PID=$!; PIDS+=("$PID")
  for _ in $(seq 200); do URL=$(grep -o 'http://[0-9.:]*' "$data.out" 2>/dev/null || true); [[ -n $URL ]] && break; sleep 0.1; done
  [[ -n $URL ]] || { cat "$data.log" >&2; exit 1; }
}
upload() {  # upload FILE -> prints the lesson and job ids
  curl -sf -H "Authorization: Bearer $TOKEN" -X POST -T "$1" "$URL/api/v1/lessons?filename=$(basename "$1")" |
    "$PY" -c 'import json,sys; b=json.load(sys.stdin); print(b["lesson"]["id"], b["job"]["id"])'
}

echo
echo "== uploading 1 GB to an API node that stores in S3 (SeaweedFS on this machine)"
ffmpeg -nostdin -v error -y -stream_loop -1 -i .deps/videos/crying-then-laughing.mp4 -fs 1000000000 -c copy "$WORK/one-gigabyte.mp4"
BYTES=$(stat -c %s "$WORK/one-gigabyte.mp4")
sync
DD=$(dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1)
rm -f "$WORK/dd.bin"
DISK_MBS=$(awk '{for (i=1;i<=NF;i++) if ($i ~ /^[0-9.,]+$/ && $(i+1) ~ /[MG]B\/s/) {v=$i; gsub(",",".",v); print ($(i+1)=="GB/s") ? v*1000 : v}}' <<<"$DD")
start_node upload 0 --storage "$STORAGE"
RSS_BEFORE=$(ps -o rss= -p "$PID")
( while kill -0 "$PID" 2>/dev/null; do ps -o rss= -p "$PID"; sleep 0.2; done ) >"$WORK/rss.txt" &
SAMPLER=$!
T0=$(date +%s.%N)
upload "$WORK/one-gigabyte.mp4" >/dev/null
T1=$(date +%s.%N)
kill "$SAMPLER" 2>/dev/null || true
RSS_MAX=$(sort -n "$WORK/rss.txt" | tail -1)
awk -v b="$BYTES" -v t0="$T0" -v t1="$T1" -v disk="$DISK_MBS" 'BEGIN {
  mbs = b / 1e6 / (t1 - t0)
  printf "upload to S3: %.0f MB in %.1f s = %.0f MB/s (received, stored in parts, copied back to probe it, moved into place)\n", b/1e6, t1-t0, mbs
  printf "disk (dd):    %.0f MB/s sequential write with fdatasync, same run\n", disk
  printf "ratio:        %.2f of the local disk speed\n", mbs / disk }'
echo "node RSS:     before $((RSS_BEFORE / 1024)) MB, peak during the upload $((RSS_MAX / 1024)) MB"
kill "$PID"; wait "$PID" 2>/dev/null || true

echo
echo "== analysing a 3-minute filmed lesson on one worker ($(nproc) cores), files in S3"
"$BIN/lessongen" --out "$WORK/lesson" --seed 42 --voices 0,6,3 --duration 180 --video --facial-episodes 1 --raised-voice 0.15 >/dev/null
start_node capacity 0 --storage "$STORAGE"
"$BIN/edcontrol" worker --data "$WORK/worker" --database "$SERVICE_DB" --storage "$STORAGE" >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
read -r _ JOB < <(upload "$WORK"/lesson/*.mp4)
for _ in $(seq 1200); do
  STATE=$(curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/jobs/$JOB" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [[ $STATE == succeeded || $STATE == failed ]] && break
  sleep 1
done
[[ $STATE == succeeded ]] || { echo "the analysis did not succeed ($STATE)" >&2; tail -20 "$WORK/worker.log" >&2; exit 1; }
curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/jobs/$JOB" | "$PY" -c '
import json, sys, os
from datetime import datetime
job = json.load(sys.stdin)
seconds = (datetime.fromisoformat(job["finishedAt"].replace("Z", "+00:00")) - datetime.fromisoformat(job["startedAt"].replace("Z", "+00:00"))).total_seconds()
cores = os.cpu_count()
per_worker_3 = 86400 / seconds
# A 45-minute lesson takes 15 times as long, assuming time grows with length (the stages are linear in it).
per_worker_45 = 86400 / (seconds * 15)
print(f"3-minute lesson (the demo's): {seconds:.1f} s from claim to published (real-time factor {seconds / 180:.3f}), one worker on {cores} cores")
print(f"capacity: {per_worker_3:.0f} three-minute or {per_worker_45:.0f} 45-minute lessons a day per worker, {per_worker_45 / cores:.0f} 45-minute lessons a day per core")
print("workers | 45-minute lessons a day (measured one worker x N; the queue and S3 figures above bound N)")
for n in (1, 2, 4, 8, 16, 32, 64):
    print(f"{n:7d} | {per_worker_45 * n:,.0f}")
'
