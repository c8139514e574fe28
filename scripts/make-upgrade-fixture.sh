#!/usr/bin/env bash
# Makes an upgrade fixture: a small real data folder written by an earlier release, in
# Tests/Fixtures/upgrade/<name>/ — its database, each lesson's result files, and where each
# recording came from (recordings are media from the setup's downloads and the test tools,
# not committed: the upgrade test copies them back and checks their sha256).
#
# Usage: scripts/make-upgrade-fixture.sh OLD_EDCONTROL NAME
#   OLD_EDCONTROL  the `edcontrol` binary of the earlier release (built from its tag)
#   NAME           the fixture's folder name, e.g. v0.1.0
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); name=$2
out=Tests/Fixtures/upgrade/$name
video=.deps/videos/crying-then-laughing.mp4
speech=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav
data=$(mktemp -d); port=18765; hookport=18766
trap 'kill "$server" "$receiver" 2>/dev/null || true; rm -rf "$data"' EXIT

token=$("$old" token create --data "$data" --school "School A" --role admin --name "LMS integration")
"$old" user create --data "$data" --school "School A" --email manager@school.test --name "Olga Ivanova" --role manager --password "a long enough password" >/dev/null
# A registered challenger (a stricter raised-voice rule) that shadows every analysis.
"$old" config | python3 -c 'import json,sys; c=json.load(sys.stdin); c["incidentRules"]["minimumRaisedVoiceSeconds"]=2; json.dump(c,sys.stdout)' >"$data/challenger.json"
"$old" models register fixture-challenger --config "$data/challenger.json" --reason "upgrade fixture: a stricter raised-voice rule" --data "$data" >/dev/null
# The school's LMS receives webhooks (here a local receiver, on a network the operator allowed).
python3 - "$hookport" <<'PY' & receiver=$!
import http.server, sys
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204); self.end_headers()
    def log_message(self, *arguments): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
PY
"$old" serve --data "$data" --port $port --shadow fixture-challenger --shadow-share 1 --webhook-allow-network 127.0.0.0/8 \
  >"$data/server.out" 2>"$data/server.log" & server=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 || curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1; do sleep 0.5; done
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
teacher=$(api -H 'Content-Type: application/json' -d '{"name": "Анна Петрова"}' "http://127.0.0.1:$port/api/v1/teachers" | json "['id']")
api -H 'Content-Type: application/json' -d "{\"url\": \"http://127.0.0.1:$hookport/edcontrol\", \"secret\": \"a shared secret of the fixture\"}" \
  "http://127.0.0.1:$port/api/v1/webhooks" >/dev/null
upload() {  # FILE NAME TITLE → lesson id, once analysed
  local reply lesson job state
  reply=$(api --data-binary "@$1" "http://127.0.0.1:$port/api/v1/lessons?filename=$2&title=$3&teacherId=$teacher&recordedAt=2026-11-2$4T09:30:00Z")
  lesson=$(echo "$reply" | json "['lesson']['id']"); job=$(echo "$reply" | json "['job']['id']")
  while state=$(api "http://127.0.0.1:$port/api/v1/jobs/$job" | json "['state']"); [ "$state" = queued ] || [ "$state" = running ]; do sleep 1; done
  [ "$state" = succeeded ] || { echo "analysis of $2: $state" >&2; exit 1; }
  echo "$lesson"
}
filmed=$(upload "$video" crying.mp4 Algebra 4)
spoken=$(upload "$speech" reading.wav Literature 5)
# A confirmed incident with a correction, and a rejected one where there is one.
api -H 'Content-Type: application/json' -d '{"verdict": "confirmed", "note": "seen on the recording", "start": 0, "end": 6.5}' \
  "http://127.0.0.1:$port/api/v1/lessons/$filmed/incidents/0/review" >/dev/null
# The shadow analyses and the webhooks' deliveries finish before the server stops.
sql() { sqlite3 "$data/edcontrol.sqlite" "$1"; }
until [ "$(sql "SELECT count(*) FROM job WHERE kind = 'shadow' AND state = 'succeeded'")" = 2 ] \
   && [ "$(sql "SELECT count(*) FROM webhook_delivery WHERE state = 'delivered'")" = 2 ]; do
  [ "$(sql "SELECT count(*) FROM job WHERE kind = 'shadow' AND state IN ('failed', 'cancelled')")" = 0 ] || { echo "a shadow analysis failed" >&2; exit 1; }
  sleep 1
done
kill "$server"; wait "$server" 2>/dev/null || true

rm -rf "$out"; mkdir -p "$out"
# The database as one file (SQLite's backup API: no write-ahead log beside it).
python3 -c 'import sqlite3, sys; copy = sqlite3.connect(sys.argv[2]); sqlite3.connect(sys.argv[1]).backup(copy); copy.execute("VACUUM")' "$data/edcontrol.sqlite" "$out/edcontrol.sqlite"
for lesson in "$filmed" "$spoken"; do
  mkdir -p "$out/lessons/$lesson/results"
  find "$data/lessons/$lesson/results" -maxdepth 1 -type f \( -name '*.json' -o -name '*.rttm' -o -name '*.vtt' -o -name '*.csv' -o -name '*.txt' -o -name '*.srt' \) \
    -exec cp {} "$out/lessons/$lesson/results/" \;
  mkdir -p "$out/lessons/$lesson/shadow/fixture-challenger"
  cp "$data/lessons/$lesson/shadow/fixture-challenger/report.json" "$out/lessons/$lesson/shadow/fixture-challenger/"
done
{
  echo "# lesson  file in its folder  sha256  where the recording comes from"
  for pair in "$filmed:$video" "$spoken:$speech"; do
    lesson=${pair%%:*}; source=${pair#*:}
    file=$(cd "$data/lessons/$lesson" && ls recording.*)
    echo "$lesson $file $(sha256sum "$data/lessons/$lesson/$file" | cut -d' ' -f1) $source"
  done
} >"$out/recordings.txt"
# The fixture's own admin token (valid for this fixture's database only): the test checks it still works.
echo "$token" >"$out/TOKEN"
echo "EdControl $("$old" --version), schema $(sqlite3 "$data/edcontrol.sqlite" 'SELECT count(*) FROM grdb_migrations'); made by scripts/make-upgrade-fixture.sh" >"$out/MADE_BY"
echo "$out: $(du -sh "$out" | cut -f1)"
