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
source scripts/dev/backends.sh
PY=.deps/venv/bin/python
# A database for each part: the 1 GB upload's lesson is queued for analysis, and the
# capacity part's worker must find only its own lesson (it took the 1 GB one first, which
# looked like a stalled analysis).
psql -c "CREATE DATABASE queue" -c "CREATE DATABASE upload" -c "CREATE DATABASE service"
QUEUE_DB=${DATABASE/\/edcontrol\?/\/queue?}
UPLOAD_DB=${DATABASE/\/edcontrol\?/\/upload?}
SERVICE_DB=${DATABASE/\/edcontrol\?/\/service?}

echo "== job queue on PostgreSQL $(psql -c 'SHOW server_version')"
"$BIN/edcontrol" queue benchmark --data "$WORK/queue" --database "$QUEUE_DB" --jobs "$JOBS" --claimers 8

source scripts/dev/bench.sh
SERVER_ARGS=(--database "$UPLOAD_DB")

echo
echo "== uploading 1 GB to an API node that stores in S3 (SeaweedFS on this machine)"
start_server upload 0 --storage "$STORAGE"; PIDS+=("$PID")
upload_gigabyte "received into the node's scratch, probed there, sent to the bucket once in parts"
kill "$PID"; wait "$PID" 2>/dev/null || true

echo
echo "== analysing a 3-minute filmed lesson on one worker ($(nproc) cores), files in S3"
"$BIN/lessongen" --out "$WORK/lesson" --seed 42 --voices 0,6,3 --duration 180 --video --facial-episodes 1 --raised-voice 0.15 >/dev/null
SERVER_ARGS=(--database "$SERVICE_DB")
start_server capacity 0 --storage "$STORAGE"; PIDS+=("$PID")
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
print(f"3-minute lesson (the demo lesson): {seconds:.1f} s from claim to published (real-time factor {seconds / 180:.3f}), one worker on {cores} cores")
print(f"capacity: {per_worker_3:.0f} three-minute or {per_worker_45:.0f} 45-minute lessons a day per worker, {per_worker_45 / cores:.0f} 45-minute lessons a day per core")
print("workers | 45-minute lessons a day (measured one worker x N; the queue and S3 figures above bound N)")
for n in (1, 2, 4, 8, 16, 32, 64):
    print(f"{n:7d} | {per_worker_45 * n:,.0f}")
'
