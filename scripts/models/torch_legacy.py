"""Reads a PyTorch checkpoint saved in the legacy (pre-1.6, non-zip) format without torch.

Why hand-written: the only library that reads this format is torch itself, and the torch
wheel on PyPI is a multi-gigabyte CUDA build we must not install. The format is a short
sequence of pickles followed by raw storages, so a restricted unpickler suffices.
"""
import pickle
import struct
from collections import OrderedDict

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ByteStorage": np.uint8,
}


class _StorageType:
    def __init__(self, name):
        self.dtype = _DTYPES[name]


class _TensorRef:
    def __init__(self, storage_key, offset, size, stride):
        self.storage_key, self.offset, self.size, self.stride = storage_key, offset, tuple(size), tuple(stride)


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    return _TensorRef(storage, storage_offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, storages):
        super().__init__(file)
        self._storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint")

    def persistent_load(self, saved_id):
        kind, storage_type, key, _location, _size = saved_id[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        self._storages.setdefault(key, storage_type.dtype)
        return key


def load_state(path):
    """Returns the checkpoint's nested dicts with every tensor as a numpy array."""
    with open(path, "rb") as f:
        if pickle.load(f) != LEGACY_MAGIC:
            raise ValueError(f"{path} is not a legacy PyTorch checkpoint")
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        storage_dtypes = {}
        tree = _Unpickler(f, storage_dtypes).load()
        keys = pickle.load(f)
        storages = {}
        for key in keys:
            (count,) = struct.unpack("<q", f.read(8))
            dtype = np.dtype(storage_dtypes[key])
            storages[key] = np.frombuffer(f.read(count * dtype.itemsize), dtype=dtype)

    def materialise(node):
        if isinstance(node, _TensorRef):
            flat = storages[node.storage_key]
            itemsize = flat.dtype.itemsize
            view = np.lib.stride_tricks.as_strided(
                flat[node.offset:], shape=node.size, strides=[s * itemsize for s in node.stride])
            return np.ascontiguousarray(view)
        if isinstance(node, dict):
            return OrderedDict((k, materialise(v)) for k, v in node.items())
        return node

    return materialise(tree)
