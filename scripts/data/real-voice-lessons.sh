#!/usr/bin/env bash
# Builds the real-voice lesson corpus: online lessons (5 min, 2–5 participants) mixed by
# lessongen from real people's recordings in Debian packages (RecordedSpeaker.catalogue), with
# backchannels, interruptions, level differences, rooms, microphone noise and VoIP codecs.
#   OUT/train: speakers of the train split (seeds 1000…) — tune on these;
#   OUT/test:  speakers of the test split (seeds 2000…) — none of them is in train; never tune.
# Each split has NAME.wav, NAME.rttm (exact truth), NAME.lesson.json (who, channel, overlap)
# and MANIFEST.json (generator commit, packages with versions and licences, sha256 of every file).
# Usage: scripts/data/real-voice-lessons.sh [COUNT=12] [OUT=.deps/corpora/real-voice-lessons]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-12}
OUT=${2:-.deps/corpora/real-voice-lessons}
PY=.deps/venv/bin/python
[[ -x "$PY" ]] || { echo "run scripts/setup.sh --with-test-tools first" >&2; exit 1; }
swift build -c release --product lessongen >/dev/null
BIN=$(swift build -c release --show-bin-path)
# The last commit that changed the generator: the corpus is rebuilt only when it changes.
COMMIT=$(git log -1 --format=%H -- Sources/LessonSynthesis Sources/lessongen 2>/dev/null || echo unknown)
for split in train test; do
  dir=$OUT/$split
  seed=$([[ $split == train ]] && echo 1000 || echo 2000)
  if [[ -f "$dir/MANIFEST.json" ]] && grep -q "\"count\": $COUNT," "$dir/MANIFEST.json" && grep -q "\"commit\": \"$COMMIT\"" "$dir/MANIFEST.json"; then
    continue
  fi
  rm -rf "$dir.partial"
  "$BIN/lessongen" --out "$dir.partial" --voice-set "real-$split" --count "$COUNT" --seed "$seed" --duration 300 --speakers 2-5 >/dev/null
  "$PY" - "$dir.partial" "$split" "$COUNT" "$seed" "$COMMIT" <<'PYTHON'
import hashlib, json, pathlib, subprocess, sys
out, split, count, seed, commit = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
lessons = [json.loads(p.read_text()) for p in sorted(out.glob("*.lesson.json"))]
packages = sorted({p["package"] for lesson in lessons for p in lesson["participants"] if p.get("package")})
def version(package):
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True).stdout
files = [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "bytes": p.stat().st_size}
         for p in sorted(out.iterdir()) if p.suffix in (".wav", ".rttm") or p.name.endswith(".lesson.json")]
speakers = sorted({(p["speaker"], p["sex"], p["language"], p["package"]) for lesson in lessons for p in lesson["participants"] if p.get("speaker")})
manifest = {
    "name": f"real-voice-lessons-{split}", "split": split, "count": count, "firstSeed": seed,
    "generator": {"tool": "lessongen --voice-set real-" + split, "commit": commit},
    "packages": [{"name": p, "registry": "Debian 12", "version": version(p)} for p in packages],
    "speakers": [{"id": s[0], "sex": s[1], "language": s[2], "package": s[3]} for s in speakers],
    "sameSexLessons": [l["name"] for l in lessons if l["sameSex"]],
    "meanOverlapPercent": round(sum(l["overlapPercent"] for l in lessons) / max(1, len(lessons)), 1),
    "note": "generated from real recordings; the truth is exact (where each clip was placed). "
            + ("Tune on this split." if split == "train" else "Speakers never used in tuning: report figures, never tune."),
    "files": files,
}
(out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
PYTHON
  rm -rf "$dir" && mv "$dir.partial" "$dir"
done
echo "wrote $OUT/train and $OUT/test"
