#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: initdb and pg_ctl in a folder of
# its own, on a free loopback port, trusting local connections (nothing else can reach it).
# No root needed; run as root (as CI does), the server runs as the `postgres` user, since
# PostgreSQL refuses to run as root.
#   scripts/dev/postgres.sh start DIR   prints the cluster's address: postgres://edcontrol@127.0.0.1:PORT/edcontrol
#   scripts/dev/postgres.sh stop DIR    stops it and deletes DIR
#   scripts/dev/postgres.sh halt DIR    stops it at once, as a crash would, keeping it
#   scripts/dev/postgres.sh resume DIR  starts a halted cluster again on its port
set -euo pipefail
USAGE="usage: postgres.sh start|stop|halt|resume DIR"
ACTION=${1:?$USAGE}
DIR=${2:?$USAGE}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$BIN/initdb" ]] || { echo "no PostgreSQL server here: install postgresql-15 (scripts/setup.sh --with-test-tools does)" >&2; exit 1; }
as_server=()
if [[ $(id -u) -eq 0 ]]; then as_server=(runuser -u postgres --); fi
run_server() {
  # fsync off: a test cluster is thrown away, and durability costs seconds per test.
  "${as_server[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-p $(cat "$DIR/port") -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null \
    || { cat "$DIR/server.log" >&2; exit 1; }
}
case $ACTION in
  start)
    mkdir -p "$DIR"
    [[ $(id -u) -eq 0 ]] && chown postgres "$DIR"
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_server[@]}" "$BIN/initdb" -D "$DIR/data" -U edcontrol --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    echo "$PORT" >"$DIR/port"
    run_server
    "${as_server[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U edcontrol edcontrol
    echo "postgres://edcontrol@127.0.0.1:$PORT/edcontrol?sslmode=disable"
    ;;
  stop)
    [[ -d "$DIR/data" ]] && "${as_server[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  halt) "${as_server[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null ;;
  resume) run_server ;;
  *) echo "$USAGE" >&2; exit 2 ;;
esac
