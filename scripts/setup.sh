#!/usr/bin/env bash
# Sets up everything EdControl needs on a fresh Debian 12 machine, then builds it:
#   system packages (ffmpeg, OpenBLAS, FFTW, espeak-ng, sox, media for tests),
#   the PyPI wheels that ship model weights (pinned), the models converted from them
#   (with a provenance manifest), and the release build.
# Idempotent: a second run only checks. Usage: scripts/setup.sh [--with-test-tools]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEPS=$ROOT/.deps
MODELS_DIR=${EDCONTROL_MODELS:-$HOME/.local/share/edcontrol/models}
WITH_TEST_TOOLS=0
[[ "${1:-}" == "--with-test-tools" ]] && WITH_TEST_TOOLS=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

APT_PACKAGES=(ffmpeg libopenblas-dev libfftw3-dev libebur128-dev libaubio-dev libopencv-dev opencv-data python-matplotlib-data pkg-config espeak-ng sox
              pocketsphinx-testdata ktuberling-data alsa-utils time)
# The browser tests drive headless Chromium.
((WITH_TEST_TOOLS)) && APT_PACKAGES+=(chromium fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  as_root=(); [[ $(id -u) -ne 0 ]] && as_root=(sudo -E)
  mkdir -p "$DEPS/apt-tmp"
  export TMPDIR=$DEPS/apt-tmp DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  unset TMPDIR
fi

# Python is used only here, to convert model weights (and, for tests, to compute references).
if [[ ! -x "$DEPS/venv/bin/python" ]]; then
  say "creating the Python environment for model conversion"
  python3 -m venv "$DEPS/venv"
fi
PY=$DEPS/venv/bin/python
"$PY" -m pip install -q --disable-pip-version-check -r scripts/models/requirements.txt
if ((WITH_TEST_TOOLS)); then
  "$PY" -m pip install -q --disable-pip-version-check -r scripts/models/requirements-test.txt
fi

say "fetching the model wheels (pinned versions)"
mkdir -p "$DEPS/wheels"
"$PY" -m pip download -q --disable-pip-version-check --no-deps -d "$DEPS/wheels" \
  -r scripts/models/wheels.txt

if [[ ! -f "$DEPS/sherpa-onnx/lib/libsherpa-onnx-c-api.so" ]]; then
  say "unpacking the sherpa-onnx runtime"
  rm -rf "$DEPS/sherpa-onnx" "$DEPS/sherpa-unpack"
  "$PY" -m zipfile -e "$DEPS"/wheels/sherpa_onnx_core-*.whl "$DEPS/sherpa-unpack"
  mv "$DEPS/sherpa-unpack/sherpa_onnx" "$DEPS/sherpa-onnx"
  rm -rf "$DEPS/sherpa-unpack"
fi

# Photos of real people for generated video lessons, the face tests and the labelled face
# set (see Sources/LessonSynthesis/FacePhotos.swift): scikit-image's sample data and the
# test images of the face_recognition source package (both shipped in the packages, BSD/MIT).
if [[ ! -f "$DEPS/photos/obama.jpg" || ! -f "$DEPS/photos/astronaut.png" ]]; then
  say "fetching photos of real people"
  rm -rf "$DEPS/photos" "$DEPS/photos-unpack" && mkdir -p "$DEPS/photos" "$DEPS/photos-unpack"
  "$PY" -m pip download -q --disable-pip-version-check --no-deps -d "$DEPS/photos-unpack" scikit-image==0.26.0
  "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$DEPS/photos-unpack" face_recognition==1.3.0
  "$PY" - "$DEPS/photos-unpack" "$DEPS/photos" <<'PYTHON'
import pathlib, sys, tarfile, zipfile
source, target = map(pathlib.Path, sys.argv[1:])
with zipfile.ZipFile(next(source.glob("scikit_image-0.26.0-*.whl"))) as wheel:
    for name in ["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "rocket.jpg"]:
        (target / name).write_bytes(wheel.read(f"skimage/data/{name}"))
with tarfile.open(source / "face_recognition-1.3.0.tar.gz") as sdist:
    for name in ["biden.jpg", "obama.jpg", "obama2.jpg", "obama3.jpg"]:
        (target / name).write_bytes(sdist.extractfile(f"face_recognition-1.3.0/tests/test_images/{name}").read())
PYTHON
  rm -rf "$DEPS/photos-unpack"
fi

say "installing models into $MODELS_DIR"
"$PY" scripts/models/install_models.py --wheels "$DEPS/wheels" --out "$MODELS_DIR"

[[ "${EDCONTROL_SKIP_BUILD:-0}" == 1 ]] && exit 0
say "building (release)"
swift build -c release --product edcontrol
swift build -c release --product lessongen
