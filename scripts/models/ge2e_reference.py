"""Reference GE2E embeddings for the Swift implementation's tests.

Follows Resemblyzer's VoiceEncoder.embed_utterance (volume normalisation to -30 dBFS,
librosa mel spectrogram, partial slices at `rate`, LSTM, mean of partials) with numpy
and librosa in place of torch, reading the original checkpoint from the wheel.
Usage: ge2e_reference.py --wheels DIR --rate 1.25 WAV... > reference.json
"""
import argparse
import json
import pathlib
import sys
import tempfile
import zipfile

import librosa
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import install_models  # noqa: E402
import torch_legacy  # noqa: E402


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def forward(state, mels):
    x = mels.astype(np.float64)  # batch, frames, 40
    for layer in range(3):
        w_ih, w_hh = state[f"lstm.weight_ih_l{layer}"], state[f"lstm.weight_hh_l{layer}"]
        b = state[f"lstm.bias_ih_l{layer}"] + state[f"lstm.bias_hh_l{layer}"]
        h = np.zeros((x.shape[0], 256))
        c = np.zeros_like(h)
        outputs = []
        for t in range(x.shape[1]):
            z = x[:, t] @ w_ih.T + h @ w_hh.T + b
            i, f, g, o = np.split(z, 4, axis=1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            outputs.append(h)
        x = np.stack(outputs, axis=1)
    raw = np.maximum(0, x[:, -1] @ state["linear.weight"].T + state["linear.bias"])
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def partial_slices(n_samples, rate, min_coverage=0.75):
    frames = int(np.ceil((n_samples + 1) / 160))
    step = int(np.round((16000 / rate) / 160))
    steps = max(1, frames - 160 + step + 1)
    slices = [(i, i + 160) for i in range(0, steps, step)]
    coverage = (n_samples - slices[-1][0] * 160) / (160 * 160)
    if coverage < min_coverage and len(slices) > 1:
        slices = slices[:-1]
    return slices


def embed_utterance(state, wav, rate):
    rms = np.sqrt(np.mean((wav * 32767) ** 2))
    change = -30 - 20 * np.log10(rms / 32767)
    if change > 0:
        wav = wav * (10 ** (change / 20))
    slices = partial_slices(len(wav), rate)
    needed = slices[-1][1] * 160
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400, hop_length=160, n_mels=40)
    mel = mel.astype(np.float32).T
    partials = forward(state, np.array([mel[a:b] for a, b in slices]))
    mean = partials.mean(axis=0)
    return mean / np.linalg.norm(mean)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheels", required=True)
    parser.add_argument("--rate", type=float, default=1.25)
    parser.add_argument("wavs", nargs="+")
    args = parser.parse_args()
    wheel = install_models.find_package(args.wheels, "Resemblyzer", "0.1.4")
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(wheel) as archive:
        state = torch_legacy.load_state(archive.extract("resemblyzer/pretrained.pt", scratch))["model_state"]
    result = {}
    for path in args.wavs:
        wav, _ = librosa.load(path, sr=16000)
        result[pathlib.Path(path).name] = embed_utterance(state, wav.astype(np.float32), args.rate).tolist()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
