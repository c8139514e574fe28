#!/usr/bin/env bash
# Sets up everything (as scripts/setup.sh, plus the reference tools the tests compare
# against: librosa, pyannote.metrics, jsonschema) and runs the whole test suite.
# Tests run optimised (-c release) because they analyse real recordings.
set -euo pipefail
cd "$(dirname "$0")/.."
EDCONTROL_SKIP_BUILD=1 scripts/setup.sh --with-test-tools
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing --skip-build
