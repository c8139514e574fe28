"""A small builder for the NCHW ONNX graphs that EdControl's converters write.

Only the operators the converted models need, in forms OpenCV's dnn importer (4.6) reads:
constant weights as initializers, explicit convolution pads, no shape-computing subgraphs.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def same_pads(size, kernel, stride):
    """TensorFlow's "same" padding along one axis: the odd pixel goes at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Graph:
    def __init__(self, name):
        self.name = name
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self.counter = 0

    def fresh(self, hint):
        self.counter += 1
        return f"{hint}_{self.counter}"

    def constant(self, array, hint="const", dtype=np.float32):
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, hint=None, **attributes):
        output = self.fresh(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attributes))
        return output

    def input(self, name, shape):
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def output(self, tensor, name, shape):
        self.nodes.append(helper.make_node("Identity", [tensor], [name]))
        self.outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

    def conv(self, x, weight, bias=None, stride=1, pads=(0, 0, 0, 0), group=1):
        """weight is OIHW; pads are (top, left, bottom, right)."""
        inputs = [x, self.constant(weight, "w")]
        if bias is not None:
            inputs.append(self.constant(bias, "b"))
        return self.op("Conv", inputs, kernel_shape=list(weight.shape[2:]), strides=[stride, stride],
                       pads=list(pads), group=group)

    def model(self, producer, doc):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, producer_name=producer, doc_string=doc,
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model
