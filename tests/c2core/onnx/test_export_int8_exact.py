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


# ----- approximate forms: figures in quantization steps, checked against NumPy ------------------


def _np_top1(g, r):
    """Independent reference: tie-aware top-1 agreement per row."""
    hits = 0
    for gr, rr in zip(g, r):
        g_best = {i for i in range(len(gr)) if gr[i] == max(gr)}
        r_best = {i for i in range(len(rr)) if rr[i] == max(rr)}
        hits += bool(g_best & r_best)
    return hits / len(g)


def _np_top5(g, r):
    hits = 0
    for gr, rr in zip(g, r):
        fifth = sorted(gr, reverse=True)[4]
        hits += gr[int(np.argmax(rr))] >= fifth
    return hits / len(g)


@pytest.mark.parametrize("mode", ["qdq", "float"])
def test_approximate_forms_report_steps_and_topk_like_numpy(mode):
    from c2core.onnx import verify_onnx

    m = mobilenet_like(2, 0.02, 128)
    proto = export_onnx(m, int8=mode)
    r = verify_onnx(m, proto, samples=3, seed=4)
    assert r.int8_form == mode and r.exact is False and r.samples == 3
    assert "APPROXIMATE" in r.format() and "quantization steps" in r.format()
    # recompute every figure from the raw outputs of the same three random draws
    rng = np.random.default_rng(4)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    pred = Predictor(m)
    got, ref = {n: [] for n in OUTS}, {n: [] for n in OUTS}
    for _ in range(3):
        x = rng.standard_normal((2, 3, 12, 12)).astype(np.float32)
        g = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"data": x})))
        e = pred.run({"data": x})
        for n in OUTS:
            got[n].append(g[n])
            ref[n].append(np.asarray(e[n]))
    scales = {"prob": 1 / 256, "prob_q": 1 / 256, "sg": 1 / 256, "lk_nchw": float(np.float32(0.05)), "r2": float(np.float32(0.08))}
    zps = {"prob_q": 0, "sg": 0, "r2": 20}
    by_name = {o.name: o for o in r.outputs}
    for n in OUTS:
        g = np.stack(got[n]).astype(np.float64)
        e = np.stack(ref[n]).astype(np.float64)
        if mode == "float" and ref[n][0].dtype == np.uint8:
            e = (e - zps[n]) * scales[n]  # the float form outputs real values
        step = 1.0 if got[n][0].dtype == np.uint8 else scales[n]
        d = np.abs(g - e).ravel() / step
        a = by_name[n].agreement
        assert a is not None, n
        assert a.steps_max == pytest.approx(d.max(), rel=1e-6, abs=1e-6), n
        assert a.steps_p99 == pytest.approx(np.percentile(d, 99), rel=1e-6, abs=1e-6), n
    for n in ("prob", "prob_q"):
        g = np.concatenate(got[n]).astype(np.float64)
        e = np.concatenate(ref[n]).astype(np.float64)
        a = by_name[n].agreement
        assert a.rows == 6
        assert a.top1 == pytest.approx(_np_top1(g, e)) and a.top5 == pytest.approx(_np_top5(g, e))
    assert by_name["r2"].agreement.top1 is None  # a feature map is not a classifier output
    # pass/fail follows the stated criterion, not rtol
    for o in r.outputs:
        a = o.agreement
        assert o.ok == ((a.top1 is None or a.top1 == 1.0) and a.steps_p99 <= 4)


def test_exact_form_verification_is_bit_exact_and_says_so():
    from c2core.onnx import verify_onnx

    m = mobilenet_like(1, 0.02, 128)
    r = verify_onnx(m, export_onnx(m, int8="exact"))
    assert r.ok and r.exact is True and all(o.max_abs == 0 for o in r.outputs)
    assert "bit-exact" in r.format() and r.to_dict()["int8"]["exact"] is True


def test_topk_agreement_counts_ties_and_misses():
    from c2core.quantize.agreement import topk_agreement

    ref = np.array([[0, 5, 5, 1, 0, 0, 0], [9, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7]], float)
    got = np.array([[0, 4, 5, 1, 0, 0, 0], [1, 9, 2, 3, 4, 5, 6], [7, 2, 3, 4, 5, 6, 1]], float)
    t1, t5, n = topk_agreement(got, ref)
    # row 0: got's best (2) ties for the reference's best: agrees; row 1: no; row 2: no
    assert n == 3 and t1 == pytest.approx(1 / 3)
    # top-5: row 0 yes; row 1 ref best 0 -> got[0]=1 is below got's 5th (3): no; row 2: ref best 6 -> got 1 < 4: no
    assert t5 == pytest.approx(1 / 3)


def test_exact_form_float_tail_is_judged_by_rtol_int8_outputs_bit_exact():
    """A float Softmax after Int8Dequantize runs ORT's float kernel against torch's: the
    Int8 outputs stay bit-exact, the float tail passes on rtol (and says so)."""
    from c2core.onnx import verify_onnx

    m = mobilenet_like(1, 0.02, 128)
    from c2core.builder import NetBuilder

    b = NetBuilder("tail")
    b.net.CopyFrom(m.predict_net)
    b.op("Int8Dequantize", "fc", "logits")
    b.op("Softmax", "logits", "soft")
    b.net.external_output.append("soft")
    m.predict_net = b.net
    r = verify_onnx(m, export_onnx(m, int8="exact"))
    by = {o.name: o for o in r.outputs}
    assert r.ok, r.format()
    assert all(by[n].max_abs == 0 for n in OUTS)
    assert by["soft"].max_rel <= 1e-4
    assert "float ops after dequantization by rtol" in r.format()
