#!/usr/bin/env bash
# Builds the TEST split of the real meetings: the four clips of pyannote.audio 4.0.7's sdist
# (tests/data/dev00, dev01, tst00, tst01; AMI speakers, CC BY 4.0; the package is MIT) that
# the shared train split (../shared/data/real-meetings-dev) leaves out. None of their six
# speakers is in the train split. Never tune on these: report figures on them as a final check.
# Writes OUT/NAME.wav (16-bit PCM, 16 kHz mono, as the train split), OUT/NAME.rttm and
# OUT/MANIFEST.json (origin, licence, split, sha256 of every file).
# Usage: scripts/data/real-meetings-test.sh [OUT=.deps/corpora/real-meetings-test]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-.deps/corpora/real-meetings-test}
PY=.deps/venv/bin/python
[[ -x "$PY" ]] || { echo "run scripts/setup.sh first" >&2; exit 1; }
[[ -f "$OUT/MANIFEST.json" ]] && exit 0
SDIST=.deps/wheels/pyannote_audio-4.0.7.tar.gz
[[ -f "$SDIST" ]] || "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d .deps/wheels pyannote.audio==4.0.7
rm -rf "$OUT.partial" && mkdir -p "$OUT.partial"
"$PY" - "$SDIST" "$OUT.partial" <<'PYTHON'
import hashlib, json, pathlib, subprocess, sys, tarfile
sdist, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
names = ["dev00", "dev01", "tst00", "tst01"]
files = []
with tarfile.open(sdist) as archive:
    rttm = "".join(archive.extractfile(f"pyannote_audio-4.0.7/tests/data/debug.{part}.rttm").read().decode()
                   for part in ["development", "test"])
    for name in names:
        source = archive.extractfile(f"pyannote_audio-4.0.7/tests/data/{name}.wav").read()
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", "pipe:0", "-ac", "1", "-ar", "16000",
                        "-c:a", "pcm_s16le", str(out / f"{name}.wav")], input=source, check=True)
        (out / f"{name}.rttm").write_text("".join(line + "\n" for line in rttm.splitlines() if line.split()[1] == name))
        for path in [out / f"{name}.wav", out / f"{name}.rttm"]:
            files.append({"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "bytes": path.stat().st_size})
manifest = {
    "name": "real-meetings-test", "split": "test",
    "origin": {"package": "pyannote.audio", "registry": "PyPI", "version": "4.0.7", "kind": "sdist",
               "sha256": hashlib.sha256(sdist.read_bytes()).hexdigest(),
               "paths": [f"tests/data/{n}.wav" for n in names] + ["tests/data/debug.development.rttm", "tests/data/debug.test.rttm"]},
    "licence": "MIT (package); audio from the AMI Meeting Corpus, CC BY 4.0",
    "conversion": "float WAV to 16-bit PCM 16 kHz mono by ffmpeg; RTTM split per file, unchanged",
    "note": "far-field meeting speech, 2-4 speakers each, none of them in the train split; never tune on it",
    "files": files,
}
(out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
PYTHON
rm -rf "$OUT" && mv "$OUT.partial" "$OUT"
echo "wrote $OUT"
