#!/usr/bin/env bash
# Sets up everything (as scripts/setup.sh, plus the reference tools the tests compare
# against: librosa, pyannote.metrics, jsonschema) and runs the tests. Tests run optimised
# (-c release) because they analyse real recordings.
# Usage: scripts/test.sh [all|unit|router|e2e]
#   unit    Tests/UnitTests: the engine's stages, each alone, on real models and media, and LTI
#           launch checks (no server)
#   router  Tests/ServiceTests: the service's API and pages through Hummingbird's testing
#           framework, in-process, over a temporary SQLite store, and the store conformance
#           kits on SQLite and PostgreSQL, the local folder and S3 (no server process of ours,
#           no browser)
#   e2e     Tests/EndToEndTests: real `edcontrol` processes, a real browser (Chromium),
#           schemathesis, the real corpora
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=${1:-all}
# Each kind is a test target (Package.swift): a new suite lands where its file is. `all` runs
# the three one after another, each in a process of its own: in one process the engine's
# tests hold Swift concurrency's few shared threads with model work for minutes, and the
# service's tests of time (leases, waits for work, retries, S3 reads) starved (CI, stop 43).
case $KIND in
  all) TARGETS=(ServiceTests UnitTests EndToEndTests) ;;
  unit) TARGETS=(UnitTests) ;;
  router) TARGETS=(ServiceTests) ;;
  e2e) TARGETS=(EndToEndTests) ;;
  *) echo "usage: scripts/test.sh [all|unit|router|e2e]" >&2; exit 2 ;;
esac
EDCONTROL_SKIP_BUILD=1 scripts/setup.sh --with-test-tools
# Real recorded speech with reference texts, for the transcription tests.
scripts/data/asr-real-speech.sh >/dev/null
swift build -c release --build-tests -Xswiftc -enable-testing
# The PostgreSQL store's and the S3 files' tests run on a throwaway PostgreSQL cluster and
# SeaweedFS server, stopped and deleted when the tests end.
POSTGRES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/edcontrol-postgres.XXXXXX")
S3_DIR=$(mktemp -d "${TMPDIR:-/tmp}/edcontrol-s3.XXXXXX")
trap 'scripts/dev/postgres.sh stop "$POSTGRES_DIR"; scripts/dev/seaweedfs.sh stop "$S3_DIR"' EXIT
EDCONTROL_TEST_POSTGRES=$(scripts/dev/postgres.sh start "$POSTGRES_DIR")
EDCONTROL_TEST_S3=$(scripts/dev/seaweedfs.sh start "$S3_DIR" edcontrol-tests)
export EDCONTROL_TEST_POSTGRES EDCONTROL_TEST_S3
# whisper.cpp's OpenMP threads wait by spinning; beside the tests' other work on two cores
# that spinning slowed transcription several times over (measured), so they sleep instead.
export OMP_WAIT_POLICY=PASSIVE
FAILED=()
for target in "${TARGETS[@]}"; do
  echo "== $target"
  swift test -c release -Xswiftc -enable-testing --skip-build --filter "^$target\." || FAILED+=("$target")
done
((${#FAILED[@]} == 0)) || { echo "failed: ${FAILED[*]}" >&2; exit 1; }
