"""Int8 ops: the QDQ form (uint8 activations, QuantizeLinear/DequantizeLinear
around float ops) and the float form.

References: NumPy from Caffe2's definition (real = scale * (q - zero_point);
an Int8 op computes on real values and quantizes with Y_scale/Y_zero_point,
round half to even, saturating to [0, 255]). QNNPACK's fixed-point
requantization (the executor's, bit-exact) may differ from that by one LSB,
which is the tolerance against the executor.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.onnx import export_onnx, verify_onnx
from c2core.runtime import Predictor


def quantize(x, scale, zp):
    return np.clip(np.rint(x / scale) + zp, 0, 255).astype(np.uint8)


def real(q, scale, zp):
    return (q.astype(np.float64) - zp) * scale


def conv_nhwc(x, w, b, pad):
    """x [N,H,W,C], w [M,kh,kw,C], stride 1."""
    n, h, wd, c = x.shape
    m, kh, kw, _ = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, oh, ow, m))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nhwc,mc->nhwm", xp[:, i:i + oh, j:j + ow, :], w[:, i, j, :])
    return y + b


def int8_conv_model():
    rng = np.random.default_rng(60)
    b = NetBuilder("int8_conv")
    b.inputs("data")
    b.op("Int8Quantize", "data", "xq", Y_scale=0.05, Y_zero_point=128)
    b.op("Int8ConvRelu", ["xq", "w", "bias"], "y", kernel=3, pad=1, Y_scale=0.1, Y_zero_point=5)
    b.outputs("y")
    w = rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8)
    bias = rng.integers(-2000, 2000, 4).astype(np.int32)
    m = model_from(b.net, {"w": (w, 0.01, 120), "bias": (bias, 0.05 * 0.01, 0)})
    m.value_info = {"data": (1, [1, 5, 5, 3])}
    return m, w, bias


def test_int8_conv_relu_qdq_matches_caffe2_definition():
    m, w, bias = int8_conv_model()
    proto = export_onnx(m)  # int8="qdq"
    types = [n.op_type for n in proto.graph.node]
    assert types.count("QuantizeLinear") == 2 and "DequantizeLinear" in types
    w_init = next(t for t in proto.graph.initializer if t.name == "w")
    assert w_init.data_type == 2  # the filter stays uint8 in the file
    x = np.random.default_rng(61).standard_normal((1, 5, 5, 3)).astype(np.float32) * 2
    s = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = s.run(None, {"data": x})[0]
    xq = quantize(x, 0.05, 128)
    acc = conv_nhwc(real(xq, 0.05, 128), real(w, 0.01, 120), bias * (0.05 * 0.01), 1)
    ref = quantize(np.maximum(acc, 0), 0.1, 5)
    assert got.dtype == np.uint8 and got.shape == ref.shape == (1, 5, 5, 4)
    assert np.abs(got.astype(int) - ref).max() <= 1  # float vs exact rounding of ties: 1 LSB
    assert (got == ref).mean() > 0.95
    # Naive: ignore zero points (real = scale * q).
    naive_acc = conv_nhwc(xq * 0.05, w * 0.01, bias * (0.05 * 0.01), 1)
    naive = quantize(np.maximum(naive_acc, 0), 0.1, 5)
    assert np.abs(naive.astype(int) - ref).max() > 10
    # Against the executor (QNNPACK requantization, bit-exact Caffe2): within 1 LSB.
    r = verify_onnx(m, proto)  # uint8 outputs of QDQ Int8 ops: 1 LSB allowed by definition
    assert r.ok, r.format()
    assert r.outputs[0].max_abs <= 1


def int8_net():
    rng = np.random.default_rng(62)
    b = NetBuilder("int8_net")
    b.inputs("data")
    b.op("Int8Quantize", "data", "xq", Y_scale=0.05, Y_zero_point=128)
    b.op("Int8ConvRelu", ["xq", "w", "bias"], "c", kernel=3, pad=1, Y_scale=0.1, Y_zero_point=0)
    b.op("Int8MaxPool", "c", "p", kernel=2, stride=2)
    b.op("Int8AveragePool", "p", "a", kernel=2, stride=1, pad=0, Y_scale=0.08, Y_zero_point=3)
    b.op("Int8Sum", ["a", "a"], "s", Y_scale=0.15, Y_zero_point=2)
    b.op("Int8FC", ["s", "fw", "fb"], "fc", Y_scale=0.1, Y_zero_point=120)
    b.op("Int8Dequantize", "fc", "out")
    b.outputs("out")
    w = rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8)
    bias = rng.integers(-500, 500, 4).astype(np.int32)
    fw = rng.integers(0, 256, (5, 2 * 2 * 4)).astype(np.uint8)
    fb = rng.integers(-500, 500, 5).astype(np.int32)
    m = model_from(b.net, {"w": (w, 0.01, 128), "bias": (bias, 0.0005, 0), "fw": (fw, 0.002, 128), "fb": (fb, 0.0003, 0)})
    m.value_info = {"data": (1, [1, 6, 6, 3])}
    return m


def test_int8_net_qdq_verifies_against_the_executor():
    """Conv+Relu, MaxPool (keeps scale), AveragePool, Sum, FC, Dequantize: a few LSB of the
    output scale after five requantizations."""
    m = int8_net()
    proto = export_onnx(m)
    r = verify_onnx(m, proto, rtol=0.05)
    assert r.ok, r.format()
    assert r.outputs[0].max_abs <= 3 * 0.1 + 1e-6  # at most 3 LSB of fc's scale 0.1
    ref = Predictor(m).run({"data": np.random.default_rng(0).standard_normal((1, 6, 6, 3)).astype(np.float32)})["out"]
    assert np.abs(ref).max() < 11.9  # not saturated at the uint8 bounds (-12, 13.5): the test has teeth


def test_int8_float_form_has_no_quantization_nodes_and_verifies_loosely():
    m = int8_net()
    proto = export_onnx(m, int8="float")
    types = {n.op_type for n in proto.graph.node}
    assert not types & {"QuantizeLinear", "DequantizeLinear"}
    assert all(t.data_type == 1 for t in proto.graph.initializer if t.name in ("w_dq", "fw_dq") or t.name.endswith("_dq__1"))
    r = verify_onnx(m, proto, rtol=0.1)  # no rounding to the uint8 grid: quantization error remains
    assert r.outputs[0].max_abs > 1e-3  # ...and it is visible: the float form is not the int8 net
    assert r.ok, r.format()


@pytest.mark.parametrize("mode", ["qdq", "float"])
def test_int8_output_quantization_recorded_in_metadata(mode):
    m, _, _ = int8_conv_model()
    proto = export_onnx(m, int8=mode)
    meta = {p.key: p.value for p in proto.metadata_props}
    import json

    q = json.loads(meta["c2core:quantized_outputs"])
    assert q["y"]["scale"] == pytest.approx(0.1) and q["y"]["zero_point"] == 5 and q["y"]["form"] == mode


def test_int8_fills_inside_the_predict_net_carry_their_quantization():
    from c2core.builder import fill_op
    from c2core.proto import caffe2_pb2

    m, w, bias = int8_conv_model()
    net = caffe2_pb2.NetDef()
    net.CopyFrom(m.predict_net)
    del net.op[:]
    net.op.append(fill_op("w", w, 0.01, 120))
    net.op.append(fill_op("bias", bias, 0.05 * 0.01, 0))
    net.op.extend(m.predict_net.op)
    m2 = model_from(net, {})
    m2.init_net = caffe2_pb2.NetDef()
    m2.value_info = m.value_info
    x = np.random.default_rng(63).standard_normal((1, 5, 5, 3)).astype(np.float32)
    run = lambda p: ort.InferenceSession(p.SerializeToString()).run(None, {"data": x})[0]  # noqa: E731
    assert np.array_equal(run(export_onnx(m2)), run(export_onnx(m)))
