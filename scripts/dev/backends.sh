# Sourced by the scripts that run a cluster on this machine (cluster-check.sh,
# fault-check.sh, benchmark-cluster.sh): starts a throwaway PostgreSQL cluster and SeaweedFS
# with the bucket `lessons`, sets DATABASE, ENDPOINT and STORAGE, exports the test key pair,
# and on exit kills every process in PIDS, stops both servers and deletes WORK (kept when
# KEEP=1). Then defines what the checks ask of them (below).
# Needs WORK (an empty folder) set, and the repository as the current folder.
# Its own temporary folder: the server runs as another user when this runs as root, and
# must reach it.
POSTGRES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/edcontrol-postgres.XXXXXX")
PIDS=()
stop_backends() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/dev/postgres.sh stop "$POSTGRES_DIR" || true
  scripts/dev/seaweedfs.sh stop "$WORK/s3" || true
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap stop_backends EXIT
DATABASE=$(scripts/dev/postgres.sh start "$POSTGRES_DIR")
ENDPOINT=$(scripts/dev/seaweedfs.sh start "$WORK/s3" lessons)
STORAGE="s3://lessons?endpoint=$ENDPOINT&region=us-east-1"
export AWS_ACCESS_KEY_ID=edcontrol-test AWS_SECRET_ACCESS_KEY=edcontrol-test-secret

psql() { command psql "$DATABASE" -XAtq -v ON_ERROR_STOP=1 "$@"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

bucket_keys() {  # bucket_keys PREFIX: the keys under PREFIX (a listing that fails is a key no check expects)
  local listing
  listing=$(curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    "$ENDPOINT/lessons?list-type=2&prefix=${1//\//%2F}") || { echo "cannot list $1 in the bucket" >&2; echo "<Key>unlisted/$1</Key>"; return; }
  grep -o '<Key>[^<]*</Key>' <<<"$listing" || true
}

wait_for_jobs() {  # until no job is queued or running (at most 6 minutes)
  for _ in $(seq 1800); do
    (( $(psql -c "SELECT count(*) FROM job WHERE state IN ('queued', 'running')") == 0 )) && return
    sleep 0.2
  done
}

job_figures() {  # sets succeeded (lessons with a succeeded job), duplicated (lessons with more than one), max_attempts
  succeeded=$(psql -c "SELECT count(DISTINCT lesson_id) FROM job WHERE state = 'succeeded'")
  duplicated=$(psql -c "SELECT count(*) FROM (SELECT lesson_id FROM job WHERE state = 'succeeded' GROUP BY lesson_id HAVING count(*) > 1) AS twice")
  max_attempts=$(psql -c "SELECT COALESCE(max(attempts), 0) FROM job")
}

missing_files() {  # missing_files LESSON_ID…: prints how many recordings and published reports are not in the bucket
  local missing=0 id set_name listing key
  for id in "$@"; do
    set_name=$(psql -c "SELECT results_set FROM lesson WHERE id = '$id'")
    listing=$(bucket_keys "lessons/$id/")
    for key in "lessons/$id/recording.wav" "lessons/$id/$set_name/report.json"; do
      grep -q "<Key>$key</Key>" <<<"$listing" || { echo "not in the bucket: $key" >&2; missing=$((missing + 1)); }
    done
  done
  echo "$missing"
}
