#!/usr/bin/env bash
# Proof that EdControl runs as a cluster with no home-made parts: PostgreSQL and an
# S3-compatible store (SeaweedFS) shared by two API nodes (serve --workers 0, two ports, two
# data folders) and two workers (separate scratch folders). Uploads N generated lessons
# through both API nodes, one whenever a worker is idle (so pickup is an idle worker's
# reaction, not queueing), SIGKILLs a worker in the middle of a job, waits, and prints:
#   lessons N succeeded N lost 0 duplicated 0 max-attempts K p50-pickup-ms X
# Exit status 0 only when every lesson succeeded exactly once and each lesson's recording
# and published report are in the bucket. Needs a build (scripts/test.sh or swift build -c release).
# Usage: scripts/cluster-check.sh [N] (default 6)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-6}
BIN=.build/release
WORK=$(mktemp -d "${TMPDIR:-/tmp}/edcontrol-cluster.XXXXXX")
say() { echo "==> $*" >&2; }

say "starting PostgreSQL and SeaweedFS in $WORK"
source scripts/dev/backends.sh

say "generating $N lessons"
"$BIN/lessongen" --out "$WORK/lessons" --count "$N" --seed 100 --voice-set classic --speakers 2-3 --duration 40 >/dev/null
mapfile -t LESSONS < <(ls "$WORK"/lessons/*.wav | sort)
((${#LESSONS[@]} == N)) || { echo "lessongen made ${#LESSONS[@]} lessons, not $N" >&2; exit 1; }

say "starting two API nodes and two workers"
TOKEN=$("$BIN/edcontrol" token create --data "$WORK/node-1" --database "$DATABASE" --school "Cluster school" --role admin --name "cluster check")
PORTS=()
for node in 1 2; do
  port=$(free_port); PORTS+=("$port")
  "$BIN/edcontrol" serve --data "$WORK/node-$node" --database "$DATABASE" --storage "$STORAGE" --workers 0 --port "$port" \
    >"$WORK/node-$node.log" 2>&1 & PIDS+=($!)
done
WORKER_PIDS=()
# One metrics token for every node, as an operator's scraper would have it.
export EDCONTROL_METRICS_TOKEN=edm_cluster_check_$RANDOM$RANDOM
for worker in 1 2; do
  "$BIN/edcontrol" worker --data "$WORK/worker-$worker" --database "$DATABASE" --storage "$STORAGE" --lease-seconds 6 --metrics-port 0 \
    >"$WORK/worker-$worker.log" 2>&1 & PIDS+=($!); WORKER_PIDS+=($!)
done
for port in "${PORTS[@]}"; do
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "the API node on $port did not start:" >&2; cat "$WORK"/node-*.log >&2; exit 1; }
done

LIVE=2
KILLED=0
LESSON_IDS=()
for i in "${!LESSONS[@]}"; do
  # One lesson whenever a worker is idle: pickup then measures an idle worker's reaction.
  for _ in $(seq 600); do (( $(psql -c "SELECT count(*) FROM job WHERE state = 'running'") < LIVE )) && break; sleep 0.1; done
  port=${PORTS[$((i % 2))]}
  file=${LESSONS[$i]}
  id=$(curl -sf -H "Authorization: Bearer $TOKEN" -X POST -T "$file" "http://127.0.0.1:$port/api/v1/lessons?filename=$(basename "$file")" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["lesson"]["id"])') || { echo "upload of $file to port $port failed" >&2; exit 1; }
  LESSON_IDS+=("$id")
  if ((KILLED == 0)); then
    # SIGKILL the first worker as soon as it is in the middle of an analysis.
    for _ in $(seq 300); do grep -q "analysis started" "$WORK/worker-1.log" && break; sleep 0.1; done
    if grep -q "analysis started" "$WORK/worker-1.log"; then
      sleep 1
      kill -9 "${WORKER_PIDS[0]}"; wait "${WORKER_PIDS[0]}" 2>/dev/null || true; KILLED=1; LIVE=1
      say "killed worker 1 in the middle of a job"
    fi
  fi
done
((KILLED == 1)) || { echo "worker 1 never started a job, so none was interrupted" >&2; exit 1; }

say "waiting for every job to finish"
wait_for_jobs
job_figures
lost=$(psql -c "SELECT count(*) FROM lesson WHERE id NOT IN (SELECT lesson_id FROM job WHERE state = 'succeeded')")
pickup=$(psql -c "SELECT COALESCE(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000)), -1) FROM job WHERE attempts = 1")
missing=$(missing_files "${LESSON_IDS[@]}")

# The surviving worker's own figures, as Prometheus scrapes them: its finished jobs under its id.
status_url=$(sed -n 's/^EdControl worker status on \([^ ]*\).*/\1/p' "$WORK/worker-2.log")
worker_jobs=$(curl -sf -H "Authorization: Bearer $EDCONTROL_METRICS_TOKEN" "$status_url/metrics" |
  awk '/^edcontrol_jobs_finished_total\{/ && /state="succeeded"/ && /worker="[^"]+-1"/ { n += $NF } END { print n + 0 }') || worker_jobs=-1
unscraped=$(curl -s -o /dev/null -w '%{http_code}' "$status_url/metrics")
ready=$(curl -s -o /dev/null -w '%{http_code}' "$status_url/ready")

echo "lessons $N succeeded $succeeded lost $lost duplicated $duplicated max-attempts $max_attempts p50-pickup-ms $pickup"
echo "worker 2's /metrics: $worker_jobs jobs succeeded (without the token: $unscraped); /ready: $ready" >&2
if ((succeeded == N && lost == 0 && duplicated == 0 && missing == 0 && worker_jobs > 0 && unscraped == 401 && ready == 200)); then exit 0; fi
echo "the cluster lost or repeated work, or files are missing; logs in $WORK (kept)" >&2
KEEP=1
exit 1
