#!/usr/bin/env bash
# The servers a cluster leans on, stopped during the work: PostgreSQL and the S3 store
# (SeaweedFS) each halted at once, as a crash or a lost network would, in the middle of an
# upload and in the middle of an analysis, then started again. One API node (serve
# --workers 0) and one worker, as scripts/cluster-check.sh runs them. Checks that
#   - an upload cut off by either is answered 503 with Retry-After and leaves nothing: no
#     lesson row, no object under uploads/ or lessons/; sent again, it is stored (and its
#     analysis cancelled: the next two lessons are the ones analysed);
#   - a job whose database or files went away during its analysis is tried again and
#     succeeds exactly once, its recording and published report in the bucket.
# Prints one line:
#   uploads-refused 2 leftovers 0 analysed 2 succeeded 2 duplicated 0 max-attempts K
# and exits 0 only when all of that holds. Needs a build (scripts/test.sh or swift build -c release).
# Usage: scripts/fault-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release
WORK=$(mktemp -d "${TMPDIR:-/tmp}/edcontrol-faults.XXXXXX")
say() { echo "==> $*" >&2; }
fail() { echo "$*; logs in $WORK (kept)" >&2; KEEP=1; exit 1; }

say "starting PostgreSQL and SeaweedFS in $WORK"
source scripts/dev/backends.sh
wait_for_files() {  # until the bucket answers a listing again after a restart
  for _ in $(seq 150); do
    curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$ENDPOINT/lessons?list-type=2" && return 0
    sleep 0.2
  done
  fail "SeaweedFS did not answer again after its restart"
}

say "generating four lessons"
"$BIN/lessongen" --out "$WORK/lessons" --count 4 --seed 7 --voice-set classic --speakers 2 --duration 30 >/dev/null
mapfile -t LESSONS < <(ls "$WORK"/lessons/*.wav | sort)

say "starting an API node and a worker"
TOKEN=$("$BIN/edcontrol" token create --data "$WORK/node" --database "$DATABASE" --school "Fault school" --role admin --name "fault check")
PORT=$(free_port)
"$BIN/edcontrol" serve --data "$WORK/node" --database "$DATABASE" --storage "$STORAGE" --workers 0 --port "$PORT" >"$WORK/node.log" 2>&1 &
PIDS+=($!)
"$BIN/edcontrol" worker --data "$WORK/worker" --database "$DATABASE" --storage "$STORAGE" --lease-seconds 6 >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || fail "the API node did not start"

upload() {  # upload FILE [curl options…]: prints the status, then the answer's headers and body in WORK/answer
  curl -s -D "$WORK/answer.headers" -o "$WORK/answer.body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -X POST -T "$1" "${@:2}" \
    "http://127.0.0.1:$PORT/api/v1/lessons?filename=$(basename "$1")"
}
LESSON_IDS=()
stored() {  # stored FILE: uploads it, retrying while the servers come back, and keeps its lesson's id
  local status
  for _ in $(seq 30); do
    status=$(upload "$1")
    [[ $status == 201 ]] && break
    sleep 1
  done
  [[ $status == 201 ]] || fail "the upload of $1 was answered $status: $(cat "$WORK/answer.body")"
  read -r id JOB < <(python3 -c 'import json, sys; b = json.load(open(sys.argv[1])); print(b["lesson"]["id"], b["job"]["id"])' "$WORK/answer.body")
  LESSON_IDS+=("$id")
}
strays() {  # objects in the bucket that no stored lesson owns
  local keys
  keys=$(bucket_keys uploads/; bucket_keys lessons/)
  for id in ${LESSON_IDS[@]+"${LESSON_IDS[@]}"}; do keys=$(grep -v "<Key>lessons/$id/" <<<"$keys" || true); done
  grep -c '<Key>' <<<"$keys" || true
}

# An upload sent slowly (about 13 s), its server halted 3 s in: the files' store is reached
# only when the body ends (a recording this small is one PUT), the database when the lesson's
# row is written after it.
REFUSED=0
LEFTOVERS=0
for i in 0 1; do
  server=$([[ $i == 0 ]] && echo seaweedfs || echo postgres)
  dir=$([[ $i == 0 ]] && echo "$WORK/s3" || echo "$POSTGRES_DIR")
  file=${LESSONS[$i]}
  lessons_before=$(psql -c "SELECT count(*) FROM lesson")
  say "halting $server in the middle of an upload"
  upload "$file" --limit-rate 100K >"$WORK/status" &
  sender=$!
  sleep 3
  scripts/dev/$server.sh halt "$dir"
  wait "$sender" || true
  status=$(cat "$WORK/status")
  if [[ $status == 503 ]] && grep -qi '^retry-after:' "$WORK/answer.headers" && grep -q 'try again' "$WORK/answer.body"; then
    REFUSED=$((REFUSED + 1))
  else
    echo "the upload cut off by $server was answered $status: $(cat "$WORK/answer.body")" >&2
  fi
  scripts/dev/$server.sh resume "$dir"
  wait_for_files
  left=$(( $(psql -c "SELECT count(*) FROM lesson") - lessons_before + $(strays) ))
  ((left == 0)) || { echo "the upload cut off by $server left $left things behind:" >&2; bucket_keys "" >&2; }
  LEFTOVERS=$((LEFTOVERS + left))
  say "sending it again"
  stored "$file"
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -X POST "http://127.0.0.1:$PORT/api/v1/jobs/$JOB/cancel" || fail "cannot cancel $JOB"
done

# Each server halted for longer than a lease (6 s) while the worker analyses a lesson.
for i in 2 3; do
  server=$([[ $i == 2 ]] && echo postgres || echo seaweedfs)
  dir=$([[ $i == 2 ]] && echo "$POSTGRES_DIR" || echo "$WORK/s3")
  stored "${LESSONS[$i]}"
  id=${LESSON_IDS[-1]}
  running="SELECT count(*) FROM job WHERE state = 'running' AND lesson_id = '$id'"
  for _ in $(seq 3000); do (( $(psql -c "$running") > 0 )) && break; sleep 0.2; done
  (( $(psql -c "$running") > 0 )) || fail "the lesson $id was not analysed within 10 minutes"
  sleep 2
  say "halting $server for 10 s in the middle of an analysis"
  scripts/dev/$server.sh halt "$dir"
  sleep 10
  scripts/dev/$server.sh resume "$dir"
  wait_for_files
done

say "waiting for every job to finish"
wait_for_jobs
job_figures
# The first two lessons were stored only to show the uploads went through; their analyses were cancelled.
missing=$(missing_files "${LESSON_IDS[@]:2}")

echo "uploads-refused $REFUSED leftovers $LEFTOVERS analysed 2 succeeded $succeeded duplicated $duplicated max-attempts $max_attempts"
((REFUSED == 2 && LEFTOVERS == 0 && succeeded == 2 && duplicated == 0 && missing == 0)) && exit 0
fail "an outage lost or repeated work, or left something behind"
