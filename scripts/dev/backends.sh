# Sourced by the scripts that run a cluster on this machine (cluster-check.sh,
# benchmark-cluster.sh): starts a throwaway PostgreSQL cluster and SeaweedFS with the bucket
# `lessons`, sets DATABASE, ENDPOINT and STORAGE, exports the test key pair, and on exit kills
# every process in PIDS, stops both servers and deletes WORK (kept when KEEP=1).
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
