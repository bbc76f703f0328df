"""FP32 -> FP16 ONNX conversion (for strongly typed TensorRT 11 builds), checked with ONNX Runtime."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from c2core.backends.fp16 import FP16_MAX, convert_to_fp16


def _run(model, feed):
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, feed)[0]


@pytest.mark.parametrize("keep_io", [False, True])
def test_fp16_model_matches_reference_within_fp16_tolerance(tmp_path, make_conv_net, conv_ref, keep_io):
    path, w = make_conv_net(tmp_path / "m.onnx", batch=2, softmax=True)
    m16 = convert_to_fp16(onnx.load(path), keep_io_types=keep_io)
    g = m16.graph
    io_type = TensorProto.FLOAT if keep_io else TensorProto.FLOAT16
    assert g.input[0].type.tensor_type.elem_type == io_type and g.output[0].type.tensor_type.elem_type == io_type
    assert all(t.data_type == TensorProto.FLOAT16 for t in g.initializer)
    # Softmax kept in FP32 between casts
    i = [n.op_type for n in g.node].index("Softmax")
    assert g.node[i - 1].op_type == "Cast" and g.node[i + 1].op_type == "Cast"
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    out = _run(m16, {"data": x if keep_io else x.astype(np.float16)})
    assert out.dtype == (np.float32 if keep_io else np.float16)
    ref = conv_ref(x, w, softmax=True)
    assert np.abs(out.astype(np.float64) - ref).max() <= 5e-3  # probabilities: FP16 has ~3 decimal digits


def test_resize_scales_stay_float32_and_big_weights_are_clipped():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    big = numpy_helper.from_array(np.array([1e6], np.float32), "big")
    nodes = [helper.make_node("Resize", ["x", "", "scales"], ["r"], mode="nearest"),
             helper.make_node("Mul", ["r", "big"], ["y"])]
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [scales, big]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    m16 = convert_to_fp16(m)
    types = {t.name: t.data_type for t in m16.graph.initializer}
    assert types == {"scales": TensorProto.FLOAT, "big": TensorProto.FLOAT16}
    assert dict((p.key, p.value) for p in m16.metadata_props)["c2core.fp16_clipped"] == "1"
    a = np.array([[[[1, 2], [3, 4]]]], np.float16) * np.float16(0.001)
    out = _run(m16, {"x": a})
    expect = np.repeat(np.repeat(a.astype(np.float64), 2, axis=2), 2, axis=3) * FP16_MAX
    np.testing.assert_allclose(out.astype(np.float64), expect, rtol=2e-3)


def test_input_model_is_not_modified(tmp_path, make_conv_net):
    path, _ = make_conv_net(tmp_path / "m.onnx")
    m = onnx.load(path)
    before = m.SerializeToString()
    convert_to_fp16(m)
    assert m.SerializeToString() == before
