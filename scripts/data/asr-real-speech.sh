#!/usr/bin/env bash
# Builds a small labelled set of REAL recorded speech with exact reference text, Russian and
# English, for measuring the word error rate of transcription. Only Debian packages are used:
#   ru: the Asterisk Russian prompts (asterisk-core-sounds-ru-wav, one female voice talent of
#       ivrvoice.ru; texts in the asterisk-core-sounds-ru .deb) — the only real Russian speech
#       with its text that Debian 12 or PyPI ships (see REJECTED below);
#   en: the Asterisk English prompts (Allison Smith; texts in the asterisk-core-sounds-en .deb)
#       and pocketsphinx-testdata (a LibriVox reader with CMU's transcription, the CMU test
#       utterances goforward.raw and cards/005.wav, TIDIGITS speaker "dhd"; texts from the
#       package's transcription files and pocketsphinx's own test assertions).
# Read or prompt-style speech (telephone prompts are 8 kHz), not spontaneous lesson speech.
# Every clip is in split "test": measure on it, never tune on it.
# Writes OUT/FILEID.wav (16 kHz mono 16-bit PCM), OUT/FILEID.txt (reference), OUT/ru.stm,
# OUT/en.stm and OUT/MANIFEST.json (provenance, licence, text and sha256 of every file).
# Idempotent: does nothing when the manifest of this recipe is complete.
# Usage: scripts/data/asr-real-speech.sh [OUT=.deps/corpora/asr-real-speech]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-.deps/corpora/asr-real-speech}
# Bump when the selection or the output format changes: the set is then rebuilt.
RECIPE=1
PY=/usr/bin/python3
START=$SECONDS

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'asr-real-speech: %s\n' "$*" >&2; exit 1; }

# Complete already? (same recipe, every listed file present with its size; no re-hashing.)
if [[ -f "$OUT/MANIFEST.json" && -x "$PY" ]] && "$PY" - "$OUT" "$RECIPE" <<'PYTHON'
import json, pathlib, sys
out, recipe = pathlib.Path(sys.argv[1]), int(sys.argv[2])
try:
    m = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
except ValueError:
    sys.exit(1)
ok = m.get("recipe") == recipe and m.get("complete") is True and m.get("files") and all(
    (out / f["file"]).is_file() and (out / f["file"]).stat().st_size == f["bytes"] for f in m["files"])
sys.exit(0 if ok else 1)
PYTHON
then
  echo "$OUT is complete (recipe $RECIPE)"
  exit 0
fi

# --- Debian packages -------------------------------------------------------------------------
# Audio packages must be installed; the two text-only packages are merely downloaded and
# unpacked (we need one doc file from each, not the package on the system).
APT_PACKAGES=(ffmpeg python3 asterisk-core-sounds-ru-wav asterisk-core-sounds-en-wav pocketsphinx-testdata)
TEXT_DEBS=(asterisk-core-sounds-ru asterisk-core-sounds-en)
as_root=(); [[ $(id -u) -ne 0 ]] && as_root=(sudo -E)
mkdir -p .deps/apt-tmp
APT_TMP=$PWD/.deps/apt-tmp   # apt's own temporary files stay in our folder
apt_updated=0
apt_update() { ((apt_updated)) || { TMPDIR=$APT_TMP "${as_root[@]}" apt-get update -qq || true; apt_updated=1; }; }

# scripts/setup.sh --with-test-tools installs the audio packages; this script only checks.
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) || die "missing Debian packages: ${missing[*]}; run scripts/setup.sh --with-test-tools first"

WORK=$OUT.work
rm -rf "$WORK" "$OUT.partial" && mkdir -p "$WORK/debs" "$OUT.partial"
chmod 777 "$WORK/debs"   # lets apt's _apt user write there (else it warns and downloads as root)
apt_download() { (cd "$WORK/debs" && TMPDIR=$APT_TMP apt-get download -qq "${TEXT_DEBS[@]}" 2>/dev/null); }
apt_download || { apt_update; apt_download; } || die "cannot download ${TEXT_DEBS[*]} (apt-get download failed)"
for p in "${TEXT_DEBS[@]}"; do
  debs=("$WORK/debs/${p}_"*.deb)
  [[ -f "${debs[0]}" ]] || die "apt-get download gave no .deb for $p"
  dpkg-deb -x "${debs[0]}" "$WORK/unpacked"
done

# --- Selection, conversion, references, manifest -----------------------------------------------
say "selecting and converting clips"
PYTHONIOENCODING=utf-8 "$PY" - "$WORK" "$OUT.partial" "$RECIPE" <<'PYTHON'
import gzip, hashlib, json, pathlib, re, subprocess, sys, wave
work, out, recipe = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
SOUNDS = pathlib.Path("/usr/share/asterisk/sounds")
PS = pathlib.Path("/usr/share/pocketsphinx/test/data")
RU_COUNT, ALLISON_COUNT = 20, 12   # with pocketsphinx's 8 clips: about 20 per language

def dpkg_version(package):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True)
    return r.stdout.strip() or None

def deb_field(deb, field):
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True, check=True).stdout.strip()

def licence(package, files_glob):
    """The License of the DEP-5 paragraph whose Files field is exactly files_glob."""
    text = pathlib.Path(f"/usr/share/doc/{package}/copyright").read_text(encoding="utf-8")
    for paragraph in re.split(r"\n\s*\n", text):
        files = re.search(r"^Files:\s*(.+)$", paragraph, re.M)
        lic = re.search(r"^License:\s*(\S+)", paragraph, re.M)
        if files and lic and files.group(1).split() == [files_glob]:
            return lic.group(1)
    return None

def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()

def wav_seconds(path):
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()

# Asterisk prompt texts: "name: text" lines; ";" comments; "[...]" entries are tones, not speech.
def asterisk_texts(lang):
    path = f"usr/share/doc/asterisk-core-sounds-{lang}/core-sounds-{lang}.txt.gz"
    entries = {}
    with gzip.open(work / "unpacked" / path, "rt", encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9][^:\s]*):\s*(.*)$", line.strip())
            if m:
                entries[m.group(1)] = " ".join(m.group(2).split())
    deb = next((work / "debs").glob(f"asterisk-core-sounds-{lang}_*.deb"))
    reference = {"package": f"asterisk-core-sounds-{lang}", "version": deb_field(deb, "Version"), "path": path}
    reference_debs.append({"name": reference["package"], "registry": "Debian 12", "version": reference["version"],
                           "deb": deb.name, "debSha256": sha256(deb), "path": path})
    return entries, reference

# A whole sentence that scores cleanly: capital first, ends . ! or ? (not a "..." fragment that
# is glued to another prompt), at least 4 words, no digits (reference "1" vs spoken "один" would
# make WER depend on number normalisation), no quotes, brackets or colons, 2–20 s of audio.
def full_sentence(text):
    return (re.match(r"^[A-ZА-ЯЁ]", text) is not None and re.search(r"[.!?]$", text) is not None
            and not re.search(r"(\.\.\.|…)$", text) and len(text.split()) >= 4
            and not re.search(r"[0-9\[\]:«»\"*/]", text))

clips, missing_audio, reference_debs = [], [], []

# Spelling slips in the shipped Russian texts, fixed so that a correct transcript is not
# counted wrong (the words spoken are the same; the manifest keeps the shipped text too).
SPELLING_FIXES = {
    ("ru", "dictate/enter_filename"): [("И за тем", "И затем")],
    ("ru", "vm-nonumber"): [("не известен", "неизвестен")],
}

def asterisk_clips(lang, folder, speaker, prefix, count):
    entries, reference = asterisk_texts(lang)
    eligible = []
    for name in sorted(entries):
        text = entries[name]
        if not text or text.startswith("[") or not full_sentence(text):
            continue
        source = SOUNDS / folder / f"{name}.wav"
        if not source.is_file():
            missing_audio.append(str(source))
            continue
        if 2.0 <= wav_seconds(source) <= 20.0:
            eligible.append((name, text, source))
    # Evenly spaced over the sorted eligible prompts: deterministic, and spread over all topics.
    n = len(eligible)
    picks = [eligible[(i * (n - 1)) // (count - 1)] for i in range(count)] if n >= count else eligible
    for name, text, source in picks:
        clip = {"id": f"{prefix}-{name.replace('/', '-')}", "language": lang, "speaker": speaker,
                "source": source, "raw": False, "text": text, "reference": reference}
        for wrong, right in SPELLING_FIXES.get((lang, name), []):
            clip["sourceText"], clip["text"] = text, clip["text"].replace(wrong, right)
        clips.append(clip)

asterisk_clips("ru", "ru_RU_f_IvrvoiceRU", "ru-asterisk-ivrvoice", "ru-asterisk-ivrvoice", RU_COUNT)
asterisk_clips("en", "en_US_f_Allison", "en-asterisk-allison", "en-asterisk-allison", ALLISON_COUNT)

# pocketsphinx-testdata: fixed picks, every one with a text the package (or pocketsphinx's own
# test that uses the file) states. Skipped: cards 001–004 (< 2 s), numbers.raw and something.raw
# (no reference text anywhere), tidigits/*.mfc and an4 (features/models only, no audio).
def sphinx_transcripts(path):
    """'<s> words </s> (uttid)' lines → {uttid: words}."""
    result = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(?:<s>)?\s*(.*?)\s*(?:</s>)?\s*\(([^)]+)\)\s*$", line)
        if m:
            result[m.group(2)] = " ".join(m.group(1).split())
    return result

librivox = sphinx_transcripts(PS / "librivox/transcription")
for uttid in sorted(librivox):
    clips.append({"id": "en-librivox-austen-" + uttid.rsplit("-", 1)[-1], "language": "en", "speaker": "en-librivox-austen",
                  "source": PS / f"librivox/{uttid}.wav", "raw": False, "text": librivox[uttid],
                  "reference": {"package": "pocketsphinx-testdata", "path": "usr/share/pocketsphinx/test/data/librivox/transcription"}})
cards = sphinx_transcripts(PS / "cards/cards.transcription")
clips.append({"id": "en-cmu-cards-005", "language": "en", "speaker": "en-cmu-cards", "source": PS / "cards/005.wav",
              "raw": False, "text": cards.get("005", ""),
              "reference": {"package": "pocketsphinx-testdata", "path": "usr/share/pocketsphinx/test/data/cards/cards.transcription"}})
# Headerless 16-bit little-endian 16 kHz mono: pocketsphinx's tests decode them with
# -samprate 16000 -input_endian little (feat.params set no other rate), and they assert the texts.
clips.append({"id": "en-cmu-goforward", "language": "en", "speaker": "en-cmu-goforward", "source": PS / "goforward.raw",
              "raw": True, "text": "go forward ten meters",
              "reference": {"package": "pocketsphinx", "path": "upstream unit tests decode test/data/goforward.raw and assert this text"}})
clips.append({"id": "en-tidigits-dhd-2934z", "language": "en", "speaker": "en-tidigits-dhd", "source": PS / "tidigits/dhd.2934z.raw",
              "raw": True, "text": "two nine three four zero",
              "reference": {"package": "pocketsphinx", "path": "upstream python test_decode_raw asserts this text; the TIDIGITS name 2934z says 2 9 3 4 zero"}})

SPEAKERS = {
    "ru-asterisk-ivrvoice": {"sex": "female", "package": "asterisk-core-sounds-ru-wav", "licenceFiles": "ru-*",
                             "who": "voice talent of ivrvoice.ru (prompts provided by Maxim Topal); folder ru_RU_f_IvrvoiceRU",
                             "recording": "studio telephone prompts, 8 kHz 16-bit WAV"},
    "en-asterisk-allison": {"sex": "female", "package": "asterisk-core-sounds-en-wav", "licenceFiles": "*",
                            "who": "Allison Smith (theivrvoice.com)", "recording": "studio telephone prompts, 8 kHz 16-bit WAV"},
    "en-librivox-austen": {"sex": "male", "package": "pocketsphinx-testdata", "licenceFiles": "*",
                           "who": "LibriVox reader of Sense and Sensibility ch. 1 (unnamed; male per the project's RecordedSpeakers catalogue, pitch ≈ 100 Hz)",
                           "recording": "audiobook read at home, 64 kb/s MP3 origin, 16 kHz WAV", "licenceNote": "LibriVox recordings are public domain"},
    "en-cmu-cards": {"sex": None, "package": "pocketsphinx-testdata", "licenceFiles": "*",
                     "who": "CMU test speaker (not named; pitch ≈ 100 Hz suggests male; may be the goforward speaker)",
                     "recording": "close-talk read command, 16 kHz WAV"},
    "en-cmu-goforward": {"sex": None, "package": "pocketsphinx-testdata", "licenceFiles": "*",
                         "who": "CMU test speaker (not named; pitch ≈ 120 Hz suggests male)", "recording": "close-talk read command, 16 kHz raw PCM"},
    "en-tidigits-dhd": {"sex": None, "package": "pocketsphinx-testdata", "licenceFiles": "*",
                        "who": "TIDIGITS speaker 'dhd' (sex not in the file name; pitch ≈ 130 Hz suggests male)",
                        "recording": "connected digits read in a quiet room, 16 kHz raw PCM",
                        "licenceNote": "a TIDIGITS (LDC93S10) utterance shipped by CMU as test data under the package's notice"},
}

# Convert: 16 kHz mono 16-bit PCM, one thread, bit-exact (no encoder tag), so reruns hash alike.
def convert(clip, target):
    src = ["-f", "s16le", "-ar", "16000", "-ac", "1", "-i", str(clip["source"])] if clip["raw"] else ["-i", str(clip["source"])]
    subprocess.run(["nice", "-n", "10", "ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", "1", *src,
                    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
                    "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(target)], check=True)

def probe_seconds(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                       capture_output=True, text=True, check=True)
    return float(r.stdout.strip())

versions, records = {}, []
for clip in clips:
    if not clip["source"].is_file():
        missing_audio.append(str(clip["source"]))
        print(f"  skipped (audio missing): {clip['source']}", file=sys.stderr)
        continue
    if not clip["text"]:
        sys.exit(f"asr-real-speech: no reference text for {clip['source']}")
    wav = out / f"{clip['id']}.wav"
    convert(clip, wav)
    (out / f"{clip['id']}.txt").write_text(clip["text"] + "\n", encoding="utf-8")
    speaker = SPEAKERS[clip["speaker"]]
    package = speaker["package"]
    versions.setdefault(package, dpkg_version(package))
    record = {"id": clip["id"], "file": wav.name, "text": clip["text"], "language": clip["language"],
              "speaker": clip["speaker"], "sex": speaker["sex"], "split": "test",
              "durationSeconds": round(probe_seconds(wav), 3),
              "source": {"package": package, "registry": "Debian 12", "version": versions[package],
                         "path": str(clip["source"]), "format": "raw s16le 16 kHz mono" if clip["raw"] else "wav"},
              "licence": licence(package, speaker["licenceFiles"]), "reference": clip["reference"]}
    if "licenceNote" in speaker:
        record["licenceNote"] = speaker["licenceNote"]
    if "sourceText" in clip:
        record["sourceText"] = clip["sourceText"]
    records.append(record)

for lang in ["ru", "en"]:
    mine = sorted((r for r in records if r["language"] == lang), key=lambda r: r["id"])
    if not mine:
        sys.exit(f"asr-real-speech: no {lang} clip could be made")
    # STM: FILEID CHANNEL SPEAKER BEGIN END <overall,focus-condition,sex> transcript
    (out / f"{lang}.stm").write_text("".join(
        f"{r['id']} A {r['speaker']} 0.000 {r['durationSeconds']:.3f} <o,f0,{r['sex'] or 'unknown'}> {r['text']}\n"
        for r in mine), encoding="utf-8")

speakers = []
for sid, s in SPEAKERS.items():
    mine = [r for r in records if r["speaker"] == sid]
    if mine:
        speakers.append({"id": sid, "language": mine[0]["language"], "sex": s["sex"], "who": s["who"],
                         "recording": s["recording"], "package": s["package"], "version": versions[s["package"]],
                         "licence": mine[0]["licence"], "clips": len(mine),
                         "minutes": round(sum(r["durationSeconds"] for r in mine) / 60, 2)})

files = [{"file": p.name, "sha256": sha256(p), "bytes": p.stat().st_size}
         for p in sorted(out.iterdir()) if p.suffix in (".wav", ".txt", ".stm")]
manifest = {
    "name": "asr-real-speech", "recipe": recipe, "complete": True, "split": "test",
    "note": ("Real recorded human speech (read text and telephone prompts: careful, prompt/read style, "
             "not spontaneous lesson speech) with the exact reference text its package ships or its upstream "
             "test asserts. Only for measuring transcription (WER); never tune on it. References keep the "
             "source's case and punctuation (two Russian spelling slips fixed, see sourceText): normalise both "
             "sides (case, punctuation, ё→е) before scoring. "
             "Asterisk prompts were recorded at 8 kHz and are upsampled to 16 kHz (telephone bandwidth)."),
    "format": "FILEID.wav: PCM 16-bit, 16 kHz, mono (ffmpeg, bit-exact); FILEID.txt: reference; "
              "ru.stm/en.stm: FILEID A SPEAKER 0.000 DURATION <o,f0,SEX> text",
    "selection": ("ru and Allison: 'name: text' prompts that are whole sentences (capital first, end . ! ?, "
                  ">= 4 words, no digits/quotes/brackets/colons, 2-20 s), sorted by name, "
                  f"{RU_COUNT} (ru) and {ALLISON_COUNT} (Allison) evenly spaced picks; pocketsphinx-testdata: "
                  "librivox 0870-0930, cards/005, goforward.raw, tidigits/dhd.2934z.raw (fixed)"),
    "counts": {lang: {"clips": sum(r["language"] == lang for r in records),
                      "speakers": len({r["speaker"] for r in records if r["language"] == lang}),
                      "minutes": round(sum(r["durationSeconds"] for r in records if r["language"] == lang) / 60, 2)}
               for lang in ["ru", "en"]},
    "skippedMissingAudio": {"count": len(missing_audio), "paths": missing_audio},
    "onlyOneRussianSpeaker": ("No Debian 12 or PyPI package ships a second real Russian speaker with exact text: "
                              "see rejectedSources."),
    "rejectedSources": [
        {"source": "ktuberling-data sounds/ru (165 clips)", "why": "single words of 0.4-1.8 s; no Russian text shipped (only English sound ids), so no exact reference"},
        {"source": "klettres-data ru/alpha, ru/syllab", "why": "isolated letters and syllables, not words or sentences"},
        {"source": "hedgewars-data voices Russian, Default_ru", "why": "short game exclamations with English file ids and no transcript"},
        {"source": "fillets-ng-data", "why": "dialogs_ru.lua subtitles exist but no Russian voice; its en/ sounds are noises (voiced dialogue only in -cs/-nl)"},
        {"source": "gcompris-qt-data", "why": "voices are not shipped (downloaded by the program at run time)"},
        {"source": "asterisk-core-sounds-ru-gsm/-g722", "why": "the same IvrvoiceRU speaker in lossy codecs"},
        {"source": "festvox-ru, RHVoice, espeak-ng, mbrola", "why": "synthetic speech"},
        {"source": "PyPI gigaam, stt-ru, plantain2asr", "why": "no audio in the distributions"},
        {"source": "codec2-examples, pocketsphinx numbers.raw/something.raw", "why": "real speech but no reference text shipped"},
    ],
    "referencePackages": reference_debs,
    "speakers": speakers,
    "clips": records,
    "files": files,
}
(out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
for lang, c in manifest["counts"].items():
    print(f"  {lang}: {c['clips']} clips, {c['speakers']} speakers, {c['minutes']} min", file=sys.stderr)
if missing_audio:
    print(f"  skipped {len(missing_audio)} clips whose audio is missing", file=sys.stderr)
PYTHON

rm -rf "$OUT" && mv "$OUT.partial" "$OUT" && rm -rf "$WORK"
echo "wrote $OUT in $((SECONDS - START)) s"
