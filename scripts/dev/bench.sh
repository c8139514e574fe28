# Sourced by the benchmark scripts that drive a server: starting one, uploading to it, and
# timing a 1 GB upload next to dd to the same disk. Needs WORK, BIN (the edcontrol
# binary's folder) and PY (a Python) set; SERVER_ARGS (e.g. --database URL) is passed to
# every edcontrol command that opens the store.
SERVER_ARGS=(${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"})

start_server() {  # start_server NAME WORKERS [serve options…] -> sets URL, PID, TOKEN
  local data="$WORK/$1"
  TOKEN=$("$BIN/edcontrol" token create --data "$data" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"} --school Bench --role admin)
  "$BIN/edcontrol" serve --data "$data" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"} --port 0 --workers "$2" "${@:3}" >"$data.out" 2>"$data.log" &
  PID=$!
  for _ in $(seq 200); do URL=$(grep -o 'http://[0-9.:]*' "$data.out" 2>/dev/null || true); [[ -n $URL ]] && break; sleep 0.1; done
  [[ -n $URL ]] || { echo "the server did not start:" >&2; cat "$data.log" >&2; exit 1; }
}

upload() {  # upload FILE -> prints the lesson and job ids
  curl -sf -H "Authorization: Bearer $TOKEN" -X POST -T "$1" "$URL/api/v1/lessons?filename=$(basename "$1")" |
    "$PY" -c 'import json,sys; b=json.load(sys.stdin); print(b["lesson"]["id"], b["job"]["id"])'
}

upload_gigabyte() {  # upload_gigabyte HOW: times a 1 GB upload to the server at URL (PID), prints the figures
  ffmpeg -nostdin -v error -y -stream_loop -1 -i .deps/videos/crying-then-laughing.mp4 -fs 1000000000 -c copy "$WORK/one-gigabyte.mp4"
  local bytes dd disk before peak after t0 t1 sampler
  bytes=$(stat -c %s "$WORK/one-gigabyte.mp4")
  sync
  dd=$(dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1)
  rm -f "$WORK/dd.bin"
  disk=$(awk '{for (i=1;i<=NF;i++) if ($i ~ /^[0-9.,]+$/ && $(i+1) ~ /[MG]B\/s/) {v=$i; gsub(",",".",v); print ($(i+1)=="GB/s") ? v*1000 : v}}' <<<"$dd")
  before=$(ps -o rss= -p "$PID")
  ( while kill -0 "$PID" 2>/dev/null; do ps -o rss= -p "$PID"; sleep 0.2; done ) >"$WORK/rss.txt" &
  sampler=$!
  t0=$(date +%s.%N)
  upload "$WORK/one-gigabyte.mp4" >/dev/null
  sync  # on disk, as dd's figure is
  t1=$(date +%s.%N)
  kill "$sampler" 2>/dev/null || true
  peak=$(sort -n "$WORK/rss.txt" | tail -1)
  after=$(ps -o rss= -p "$PID")
  awk -v b="$bytes" -v t0="$t0" -v t1="$t1" -v disk="$disk" -v how="$1" 'BEGIN {
    mbs = b / 1e6 / (t1 - t0)
    printf "upload:      %.0f MB in %.1f s = %.0f MB/s (%s)\n", b/1e6, t1-t0, mbs, how
    printf "disk (dd):   %.0f MB/s sequential write with fdatasync, same run\n", disk
    printf "ratio:       %.2f of the disk speed\n", mbs / disk }'
  echo "server RSS:  before $((before / 1024)) MB, peak during upload $((peak / 1024)) MB, after $((after / 1024)) MB"
}
