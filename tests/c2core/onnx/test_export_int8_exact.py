"""`int8="exact"`: the ONNX graph reproduces the executor's Int8 kernels bit for bit.

The executor's Int8 kernels are themselves checked against scalar QNNPACK
references (tests/c2core/ops/test_int8.py); here ONNX Runtime's result must
equal the executor's, every uint8 value and every dequantized float, on
random and image inputs, at batch 1 and 2, for nets using every Int8 op
(conv incl. depthwise and grouped, conv+relu, sum/add, average pool incl.
global, max pool, FC, softmax, sigmoid, leaky relu, quantize/dequantize) and
the NCHW2NHWC / NHWC2NCHW edges around them.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.onnx import export_onnx
from c2core.runtime import Predictor


def _u8(rng, shape):
    return rng.integers(0, 256, shape).astype(np.uint8)


def mobilenet_like(batch: int, x_scale: float, x_zp: int, size: int = 12):
    """An NCHW float net wrapping an NHWC Int8 body: MobileNetV2-style blocks."""
    rng = np.random.default_rng(7)
    b = NetBuilder("int8_mobilenet_like")
    b.inputs("data")
    b.op("NCHW2NHWC", "data", "nhwc")
    b.op("Int8Quantize", "nhwc", "xq", Y_scale=x_scale, Y_zero_point=x_zp)
    # stem: 3x3 stride 2 conv + relu
    b.op("Int8ConvRelu", ["xq", "w0", "b0"], "c0", kernel=3, stride=2, pad=1, Y_scale=0.05, Y_zero_point=0)
    # inverted residual: 1x1 expand (grouped), depthwise 3x3, 1x1 project, residual sum
    b.op("Int8ConvRelu", ["c0", "w1", "b1"], "e1", kernel=1, group=2, Y_scale=0.04, Y_zero_point=0)
    b.op("Int8ConvRelu", ["e1", "wd", "bd"], "d1", kernel=3, pad=1, group=16, Y_scale=0.03, Y_zero_point=0)
    b.op("Int8Conv", ["d1", "w2", "b2"], "p1", kernel=1, Y_scale=0.06, Y_zero_point=128)
    b.op("Int8Sum", ["p1", "c0"], "r1", Y_scale=0.07, Y_zero_point=100)
    b.op("Int8AddRelu", ["r1", "p1"], "r2", Y_scale=0.08, Y_zero_point=20)
    b.op("Int8AveragePool", "r2", "ap", kernel=3, stride=1, pad=1, Y_scale=0.05, Y_zero_point=30)
    b.op("Int8MaxPool", "ap", "mp", kernel=2, stride=2)
    b.op("Int8Sigmoid", "mp", "sg", Y_scale=1 / 256, Y_zero_point=0)
    b.op("Int8LeakyRelu", "mp", "lk", Y_scale=0.05, Y_zero_point=60, alpha=0.1)
    b.op("Int8AveragePool", "mp", "gap", global_pooling=1, Y_scale=0.06, Y_zero_point=30)
    b.op("Int8FC", ["gap", "wf", "bf"], "fc", Y_scale=0.05, Y_zero_point=128)
    b.op("Int8Softmax", "fc", "prob_q", Y_scale=1 / 256, Y_zero_point=0)
    b.op("Int8Dequantize", "prob_q", "prob")
    b.op("Int8Dequantize", "lk", "lk_f")
    b.op("NHWC2NCHW", "lk_f", "lk_nchw")
    b.outputs("prob", "prob_q", "sg", "lk_nchw", "r2")
    w = {
        "w0": (_u8(rng, (8, 3, 3, 3)), 0.02, 128), "b0": (rng.integers(-3000, 3000, 8).astype(np.int32), 0, 0),
        "w1": (_u8(rng, (16, 1, 1, 4)), 0.03, 120), "b1": (rng.integers(-300, 300, 16).astype(np.int32), 0, 0),
        "wd": (_u8(rng, (16, 3, 3, 1)), 0.04, 125), "bd": (rng.integers(-300, 300, 16).astype(np.int32), 0, 0),
        "w2": (_u8(rng, (8, 1, 1, 16)), 0.02, 130), "b2": (rng.integers(-300, 300, 8).astype(np.int32), 0, 0),
        "wf": (_u8(rng, (20, 8)), 0.002, 127), "bf": (rng.integers(-500, 500, 20).astype(np.int32), 0, 0),
    }
    # bias scales as Caffe2 sets them (x_scale * w_scale); the kernels only read the int32 values
    w = {k: (v, s if s else 1e-3, zp) for k, (v, s, zp) in w.items()}
    m = model_from(b.net, w)
    m.value_info = {"data": (1, [batch, 3, size, size])}
    return m


def _both(m, feeds, mode="exact"):
    proto = export_onnx(m, int8=mode)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
    ref = {k: np.asarray(v) for k, v in Predictor(m).run(feeds).items()}
    return got, ref


def _assert_identical(got, ref, names):
    for n in names:
        assert got[n].dtype == ref[n].dtype, n
        assert got[n].shape == ref[n].shape, n
        assert np.array_equal(got[n], ref[n]), f"{n}: {np.abs(got[n].astype(np.float64) - ref[n]).max()}"


OUTS = ["prob", "prob_q", "sg", "lk_nchw", "r2"]


@pytest.mark.parametrize("batch", [1, 2])
def test_exact_bit_identical_on_random_inputs(batch):
    m = mobilenet_like(batch, 0.02, 128)
    rng = np.random.default_rng(batch)
    for _ in range(3):
        x = rng.standard_normal((batch, 3, 12, 12)).astype(np.float32) * 1.5
        got, ref = _both(m, {"data": x})
        _assert_identical(got, ref, OUTS)
    # the test has teeth: outputs vary (not saturated) and the softmax is not one-hot
    assert len(np.unique(ref["r2"])) > 20 and len(np.unique(ref["prob_q"])) > 5


def test_exact_bit_identical_on_an_image():
    from skimage import data

    img = data.astronaut()[::40, ::40][:12, :12].astype(np.float32)  # 12x12 RGB, 0..255
    x = np.stack([img.transpose(2, 0, 1), img[::-1].transpose(2, 0, 1)]).copy()
    m = mobilenet_like(2, 1.0, 0)
    got, ref = _both(m, {"data": x})
    _assert_identical(got, ref, OUTS)


def test_qdq_is_not_bit_exact_where_exact_is():
    """The point of the mode: the QDQ form drifts by LSBs on the same net and input."""
    m = mobilenet_like(1, 0.02, 128)
    x = np.random.default_rng(3).standard_normal((1, 3, 12, 12)).astype(np.float32) * 1.5
    got, ref = _both(m, {"data": x}, mode="qdq")
    assert any(not np.array_equal(got[n], ref[n]) for n in OUTS)


def _single(op_type, x_shape, w_shape=None, **kw):
    rng = np.random.default_rng(11)
    b = NetBuilder("one")
    b.inputs("x")
    b.op("Int8Quantize", "x", "xq", Y_scale=0.03, Y_zero_point=110)
    ins = ["xq"] + (["w", "b"] if w_shape else [])
    b.op(op_type, ins, "y", **kw)
    b.op("Int8Dequantize", "y", "yf")
    b.outputs("y", "yf")
    weights = {}
    if w_shape:
        weights = {"w": (_u8(rng, w_shape), 0.05, 100), "b": (rng.integers(-2000, 2000, w_shape[0]).astype(np.int32), 1e-3, 0)}
    m = model_from(b.net, weights)
    if not weights:
        from c2core.proto import caffe2_pb2

        m.init_net = caffe2_pb2.NetDef()
    m.value_info = {"x": (1, list(x_shape))}
    return m


@pytest.mark.parametrize("op_type,x_shape,w_shape,kw", [
    ("Int8Conv", (2, 7, 9, 6), (4, 3, 2, 3), dict(group=2, stride_h=2, stride_w=1, pad_t=1, pad_l=0, pad_b=2, pad_r=1, Y_scale=0.2, Y_zero_point=7)),
    ("Int8Conv", (1, 9, 9, 4), (4, 3, 3, 1), dict(group=4, dilation=2, legacy_pad=2, Y_scale=0.15, Y_zero_point=128)),
    ("Int8Conv", (1, 5, 5, 3), (2, 3, 3, 3), dict(pad=1, Y_scale=0.001, Y_zero_point=0)),  # requant scale >= 1 (saturates)
    ("Int8ConvRelu", (2, 6, 6, 3), (5, 1, 1, 3), dict(Y_scale=0.4, Y_zero_point=200)),
    ("Int8AveragePool", (2, 7, 7, 3), None, dict(kernel=3, stride=2, legacy_pad=3, Y_scale=0.02, Y_zero_point=50)),
    ("Int8AveragePoolRelu", (1, 6, 6, 3), None, dict(kernel=2, stride=2, Y_scale=0.04, Y_zero_point=100)),
    ("Int8MaxPoolRelu", (2, 6, 6, 3), None, dict(kernel=3, stride=1, pad=1)),
    ("Int8FC", (2, 2, 2, 3), (6, 12), dict(Y_scale=0.3, Y_zero_point=90)),
    ("Int8Softmax", (2, 10), None, dict(Y_scale=1 / 256, Y_zero_point=0)),
])
def test_exact_single_ops_bit_identical(op_type, x_shape, w_shape, kw):
    m = _single(op_type, x_shape, w_shape, **kw)
    x = np.random.default_rng(5).standard_normal(x_shape).astype(np.float32) * 2
    got, ref = _both(m, {"x": x})
    _assert_identical(got, ref, ["y", "yf"])
    assert len(np.unique(ref["y"])) > (1 if kw["Y_scale"] == 0.001 else 3) if "Y_scale" in kw else True


def test_exact_graph_uses_integer_kernels():
    proto = export_onnx(mobilenet_like(1, 0.02, 128), int8="exact")
    types = {n.op_type for n in proto.graph.node}
    assert {"ConvInteger", "MatMulInteger", "Gather"} <= types
    assert "QLinearConv" not in types
