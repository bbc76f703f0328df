"""Each Caffe2 trap from CAFFE2_NOTES.md, exported and run in ONNX Runtime.

Every test compares ONNX Runtime's output with a NumPy reference written here
from the Caffe2 operator source (tolerance stated per test), and computes what
a naive mapping would give on the same input and asserts that it is wrong
beyond that tolerance, so the test would catch the naive export. Where the
executor supports the op, `verify_onnx` also checks the export against it.
"""

from __future__ import annotations

import math

import numpy as np
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.onnx import export_onnx, verify_onnx
from c2core.proto import caffe2_pb2

RTOL = 1e-5  # FP32 single ops: observed errors are ~1e-7 relative


def make(ops, inputs, outputs, weights=None, shapes=None):
    """Model from [(type, inputs, outputs, args)] with data input shapes."""
    b = NetBuilder("trap")
    b.inputs(*(list(inputs) + list(weights or {})))
    for t, i, o, a in ops:
        b.op(t, i, o, **a)
    b.outputs(*outputs)
    m = model_from(b.net, weights or {})
    if m.init_net is None:  # a net with no weights is still a complete model
        m.init_net = caffe2_pb2.NetDef()
    m.value_info = {k: (1, list(v)) for k, v in (shapes or {}).items()}
    return m


def run(proto, feeds):
    s = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in s.get_outputs()], s.run(None, feeds)))


def rel(a, b):
    return float(np.abs(np.asarray(a, np.float64) - b).max() / max(np.abs(b).max(), 1e-30))


def assert_close(got, ref, rtol=RTOL):
    assert got.shape == ref.shape, (got.shape, ref.shape)
    assert rel(got, ref) <= rtol, rel(got, ref)


def assert_naive_fails(naive, ref, rtol=RTOL):
    naive = np.asarray(naive)
    assert naive.shape != ref.shape or rel(naive, ref) > 100 * rtol


# ----- reference formulas from the Caffe2 sources ------------------------------
def caffe2_pool_size(in_size, k, s, pad, legacy):
    """ConvPoolOpBase::ComputeSizeAndPad for NOTSET (0) and CAFFE_LEGACY_POOLING (3)."""
    if legacy == 3:
        out = int(math.ceil((in_size + 2 * pad - k) / s + 1))
        if pad > 0 and (out - 1) * s >= in_size + pad:
            out -= 1
        std = int((in_size + 2 * pad - k) / s + 1)
        return out, pad + s * (out - std)
    return (in_size + 2 * pad - k) // s + 1, pad


def caffe2_pool(x, k, s, pad, legacy, kind, count_include_pad=False):
    """pool_op.cc loops: window [p*s - pad, +k) clipped to the input; the average
    divides by the clipped window, or by the window clipped to H + pad_tail."""
    n, c, h, w = x.shape
    oh, tail_h = caffe2_pool_size(h, k, s, pad, legacy)
    ow, tail_w = caffe2_pool_size(w, k, s, pad, legacy)
    y = np.zeros((n, c, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s - pad, j * s - pad
            h1, w1 = min(h0 + k, h), min(w0 + k, w)
            ph1, pw1 = min(h0 + k, h + tail_h), min(w0 + k, w + tail_w)
            size_pad = (ph1 - h0) * (pw1 - w0)
            h0c, w0c = max(h0, 0), max(w0, 0)
            win = x[:, :, h0c:h1, w0c:w1]
            if kind == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                y[:, :, i, j] = win.sum(axis=(2, 3)) / (size_pad if count_include_pad else win.shape[2] * win.shape[3])
    return y.astype(np.float32)


def conv_nchw(x, w, b, stride=1, pad=0):
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, m, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            y += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j])
    return (y + b[None, :, None, None]).astype(np.float32)


# ----- pooling ----------------------------------------------------------------
@pytest.mark.parametrize("size,k,s,pad", [(6, 3, 2, 1), (8, 3, 2, 0), (7, 3, 2, 0), (14, 3, 2, 1)])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_legacy_pad_3_pooling_matches_caffe2_windows(size, k, s, pad, kind):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, size, size)).astype(np.float32)
    t = "MaxPool" if kind == "max" else "AveragePool"
    m = make([(t, "x", "y", dict(kernel=k, stride=s, pad=pad, legacy_pad=3))], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    ref = caffe2_pool(x, k, s, pad, 3, kind)
    assert_close(got, ref)
    # Naive: ignore legacy_pad (floor mode, symmetric pads) -> Caffe2's NOTSET windows.
    naive = caffe2_pool(x, k, s, pad, 0, kind)
    if (size, k, s, pad) != (7, 3, 2, 0):  # ceil == floor there: a control case, both agree
        assert_naive_fails(naive, ref)
    else:
        assert naive.shape == ref.shape
    assert verify_onnx(m, export_onnx(m)).ok


def test_legacy_pooling_trims_a_last_window_that_starts_in_the_padding():
    """in=5, k=2, s=2, pad=1: ceil gives 4 windows, the 4th starts at 6 - 1 = 5 >= in: Caffe2 keeps 3."""
    x = np.arange(50, dtype=np.float32).reshape(1, 2, 5, 5)
    m = make([("MaxPool", "x", "y", dict(kernel=2, stride=2, pad=1, legacy_pad=3))], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    assert got.shape == (1, 2, 3, 3)
    assert_close(got, caffe2_pool(x, 2, 2, 1, 3, "max"))
    # Naive: ONNX ceil_mode=1 with the symmetric pads. ONNX shape inference (what
    # other runtimes and converters follow) then declares 4 x 4, not Caffe2's 3 x 3.
    import onnx
    from onnx import helper

    g = helper.make_graph(
        [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], pads=[1] * 4, ceil_mode=1)],
        "naive", [helper.make_tensor_value_info("x", 1, list(x.shape))], [helper.make_tensor_value_info("y", 1, None)])
    naive = onnx.shape_inference.infer_shapes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    dims = [d.dim_value for d in naive.graph.output[0].type.tensor_type.shape.dim]
    assert dims == [1, 2, 4, 4] != list(got.shape)


def test_average_pool_excludes_padding_by_default():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 3, 6, 6)).astype(np.float32) + 3
    m = make([("AveragePool", "x", "y", dict(kernel=3, stride=1, pad=1))], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    ref = caffe2_pool(x, 3, 1, 1, 0, "avg", count_include_pad=False)
    assert_close(got, ref)
    naive = caffe2_pool(x, 3, 1, 1, 0, "avg", count_include_pad=True)
    assert_naive_fails(naive, ref)
    m2 = make([("AveragePool", "x", "y", dict(kernel=3, stride=1, pad=1, count_include_pad=1))], ["x"], ["y"],
              shapes={"x": x.shape})
    assert_close(run(export_onnx(m2), {"x": x})["y"], naive)


# ----- softmax ----------------------------------------------------------------
@pytest.mark.parametrize("opset", [13, 17, 21])
def test_softmax_on_4d_normalises_over_chw(opset):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    m = make([("Softmax", "x", "y", {})], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m, opset=opset), {"x": x})["y"]
    flat = x.reshape(2, -1).astype(np.float64)
    e = np.exp(flat - flat.max(1, keepdims=True))
    ref = (e / e.sum(1, keepdims=True)).reshape(x.shape)
    assert_close(got, ref)
    assert np.allclose(got.sum(axis=(1, 2, 3)), 1, atol=1e-5)
    ex = np.exp(x - x.max(1, keepdims=True))
    naive = ex / ex.sum(1, keepdims=True)  # ONNX Softmax(axis=1), opset >= 13
    assert_naive_fails(naive, ref)


def test_softmax_axis_2():
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5)).astype(np.float32)
    m = make([("Softmax", "x", "y", dict(axis=2))], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    flat = x.reshape(6, 20).astype(np.float64)
    e = np.exp(flat - flat.max(1, keepdims=True))
    assert_close(got, (e / e.sum(1, keepdims=True)).reshape(x.shape))


# ----- FC -----------------------------------------------------------------------
def test_fc_axis_and_axis_w_flattening():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    w = rng.standard_normal((1, 7, 4, 5)).astype(np.float32)  # axis_w=2: N = 1*7, K = 4*5
    b = rng.standard_normal(7).astype(np.float32)
    m = make([("FC", ["x", "w", "b"], "y", dict(axis=2, axis_w=2))], ["x"], ["y"], {"w": w, "b": b}, {"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    ref = (x.reshape(6, 20).astype(np.float64) @ w.reshape(7, 20).T.astype(np.float64) + b).reshape(2, 3, 7)
    assert_close(got, ref)
    with pytest.raises(ValueError):  # naive: flatten X and W at axis 1 -> K 60 vs 140, not even shaped
        x.reshape(2, -1) @ w.reshape(w.shape[0], -1).T
    assert verify_onnx(m, export_onnx(m)).ok


def test_fc_with_4d_caffe_weight_axis_w_3():
    """GoogLeNet's loss3/classifier: W stored [1, 1, N, K] and read with axis_w=3."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 8, 1, 1)).astype(np.float32)
    w = rng.standard_normal((1, 1, 5, 8)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    m = make([("FC", ["x", "w", "b"], "y", dict(axis_w=3))], ["x"], ["y"], {"w": w, "b": b}, {"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    assert_close(got, x.reshape(1, 8) @ w.reshape(5, 8).T + b)


# ----- legacy broadcast -----------------------------------------------------------
@pytest.mark.parametrize("op,fn", [("Add", np.add), ("Mul", np.multiply), ("Sub", np.subtract), ("Div", np.divide)])
def test_legacy_broadcast_aligns_b_at_axis(op, fn):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 3, 4, 3)).astype(np.float32)
    bw = (rng.standard_normal(3) + 3).astype(np.float32)
    m = make([(op, ["a", "bw"], "y", dict(broadcast=1, axis=1))], ["a"], ["y"], {"bw": bw}, {"a": a.shape})
    got = run(export_onnx(m), {"a": a})["y"]
    ref = fn(a, bw.reshape(1, 3, 1, 1))
    assert_close(got, ref)
    assert_naive_fails(fn(a, bw), ref)  # NumPy-style: B meets the last axis
    assert verify_onnx(m, export_onnx(m)).ok


def test_legacy_broadcast_with_runtime_b_and_axis_str():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    m = make([("Mul", ["a", "b"], "y", dict(broadcast=1, axis_str="C", order="NCHW"))], ["a", "b"], ["y"],
             shapes={"a": a.shape, "b": b.shape})
    got = run(export_onnx(m), {"a": a, "b": b})["y"]
    ref = a * b.reshape(1, 3, 4, 1)
    assert_close(got, ref)
    with pytest.raises(ValueError):  # naive NumPy alignment puts B's (3, 4) on A's last axes (4, 4)
        a * b


# ----- SpatialBN -------------------------------------------------------------------
@pytest.mark.parametrize("order", ["NCHW", "NHWC"])
def test_spatial_bn_uses_its_epsilon(order):
    rng = np.random.default_rng(9)
    c = 4
    x = rng.standard_normal((2, c, 3, 3) if order == "NCHW" else (2, 3, 3, c)).astype(np.float32)
    s, bb, mean = (rng.standard_normal(c).astype(np.float32) for _ in range(3))
    var = np.full(c, 1e-3, np.float32)
    eps = 1e-2
    m = make([("SpatialBN", ["x", "s", "bb", "mean", "var"], "y", dict(is_test=1, epsilon=eps, order=order))],
             ["x"], ["y"], dict(s=s, bb=bb, mean=mean, var=var), {"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    shp = (1, c, 1, 1) if order == "NCHW" else (1, 1, 1, c)

    def bn(e):
        return (x - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + e) * s.reshape(shp) + bb.reshape(shp)

    assert_close(got, bn(eps))
    assert_naive_fails(bn(1e-5), bn(eps))  # naive: the default epsilon
    assert verify_onnx(m, export_onnx(m)).ok


# ----- second outputs ---------------------------------------------------------------
def test_concat_split_info_is_a_constant_of_the_input_sizes():
    rng = np.random.default_rng(10)
    a = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal((1, 5, 3, 3)).astype(np.float32)
    m = make([("Concat", ["a", "b"], ["y", "info"], dict(axis=1))], ["a", "b"], ["y", "info"],
             shapes={"a": a.shape, "b": b.shape})
    out = run(export_onnx(m), {"a": a, "b": b})
    assert_close(out["y"], np.concatenate([a, b], 1))
    assert out["info"].dtype == np.int32 and out["info"].tolist() == [2, 5]


def test_reshape_old_shape_and_zero_minus_one_codes():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    m = make([("Reshape", "x", ["y", "old"], dict(shape=[0, -1]))], ["x"], ["y", "old"], shapes={"x": x.shape})
    out = run(export_onnx(m), {"x": x})
    assert out["y"].shape == (2, 12) and np.array_equal(out["y"], x.reshape(2, 12))
    assert out["old"].dtype == np.int64 and out["old"].tolist() == [2, 3, 4]


def test_dropout_is_identity_and_mask_all_true():
    x = np.random.default_rng(11).standard_normal((2, 5)).astype(np.float32)
    m = make([("Dropout", "x", ["y", "mask"], dict(ratio=0.5, is_test=1))], ["x"], ["y", "mask"], shapes={"x": x.shape})
    out = run(export_onnx(m), {"x": x})
    assert np.array_equal(out["y"], x)
    assert out["mask"].dtype == bool and out["mask"].shape == x.shape and out["mask"].all()
    naive = x * (np.random.default_rng(0).random(x.shape) > 0.5) / 0.5  # training-mode dropout
    assert_naive_fails(naive, x)


# ----- SSA names ------------------------------------------------------------------
def test_in_place_blobs_become_ssa_and_external_names_are_kept():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)
    w = rng.standard_normal((3, 3, 1, 1)).astype(np.float32)
    ops = [
        ("Conv", ["data", "w"], "h", dict(kernel=1)),
        ("Relu", "h", "h", {}),
        ("Scale", "h", "h", dict(scale=2.0)),
        ("Sigmoid", "h", "out", {}),
    ]
    m = make(ops, ["data"], ["out", "h"], {"w": w}, {"data": x.shape})
    proto = export_onnx(m)
    produced = [o for n in proto.graph.node for o in n.output]
    assert len(produced) == len(set(produced))
    assert [o.name for o in proto.graph.output] == ["out", "h"]
    assert [i.name for i in proto.graph.input] == ["data"]
    out = run(proto, {"data": x})
    h = np.maximum(conv_nchw(x, w, np.zeros(3, np.float32)), 0) * 2
    assert_close(out["h"], h)
    assert_close(out["out"], 1 / (1 + np.exp(-h)))
    assert verify_onnx(m, proto).ok


# ----- NHWC, channel shuffle, resize ------------------------------------------------
def test_nhwc_conv_and_pool_transpose_around_nchw_ops():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 6, 6, 3)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)  # NHWC filter: M, kh, kw, C
    b = rng.standard_normal(4).astype(np.float32)
    ops = [("Conv", ["x", "w", "b"], "c", dict(kernel=3, pad=1, order="NHWC")),
           ("MaxPool", "c", "y", dict(kernel=2, stride=2, order="NHWC"))]
    m = make(ops, ["x"], ["y"], {"w": w, "b": b}, {"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    c = conv_nchw(x.transpose(0, 3, 1, 2), w.transpose(0, 3, 1, 2), b, pad=1)
    ref = caffe2_pool(c, 2, 2, 0, 0, "max").transpose(0, 2, 3, 1)
    assert_close(got, ref)
    assert got.shape == (1, 3, 3, 4)
    naive = caffe2_pool(c, 2, 2, 0, 0, "max")  # naive: NCHW result left without the transpose back
    assert naive.shape != ref.shape


def test_channel_shuffle_is_reshape_transpose_reshape():
    x = np.arange(2 * 6 * 2 * 2, dtype=np.float32).reshape(2, 6, 2, 2)
    m = make([("ChannelShuffle", "x", "y", dict(group=2))], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    ref = x.reshape(2, 2, 3, 2, 2).transpose(0, 2, 1, 3, 4).reshape(x.shape)
    assert np.array_equal(got, ref)
    naive = x.reshape(2, 3, 2, 2, 2).transpose(0, 2, 1, 3, 4).reshape(x.shape)  # groups of the wrong size
    assert not np.array_equal(naive, ref)
    assert verify_onnx(m, export_onnx(m)).ok


@pytest.mark.parametrize("hs,ws", [(2.0, 2.0), (1.5, 2.5), (0.5, 0.5)])
def test_resize_nearest_is_asymmetric_floor(hs, ws):
    x = np.random.default_rng(14).standard_normal((1, 2, 4, 6)).astype(np.float32)
    m = make([("ResizeNearest", "x", "y", dict(height_scale=hs, width_scale=ws))], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    oh, ow = int(4 * hs), int(6 * ws)
    hi = np.minimum((np.arange(oh) / hs).astype(int), 3)
    wi = np.minimum((np.arange(ow) / ws).astype(int), 5)
    ref = x[:, :, hi][:, :, :, wi]
    assert np.array_equal(got, ref)
    if hs == 1.5:
        # Naive: ONNX Resize nearest with its default nearest_mode (round_prefer_floor).
        hr = np.minimum(np.floor(np.arange(oh) / hs + 0.5 - 1e-9).astype(int), 3)
        assert not np.array_equal(x[:, :, hr][:, :, :, wi], ref)


def caffe2_upsample_bilinear(x, hs, ws):
    """upsample_op.cc: r = (in - 1) / (out - 1), src = r * out_index, neighbour clamped."""
    n, c, h, w = x.shape
    oh, ow = int(h * hs), int(w * ws)

    def axis(out_size, in_size):
        r = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = np.float32(r) * np.arange(out_size, dtype=np.float32)
        i0 = src.astype(int)
        i1 = np.where(i0 < in_size - 1, i0 + 1, i0)
        return i0, i1, src - i0

    h0, h1, lh = axis(oh, h)
    w0, w1, lw = axis(ow, w)
    top = x[:, :, h0][:, :, :, w0] * (1 - lw) + x[:, :, h0][:, :, :, w1] * lw
    bot = x[:, :, h1][:, :, :, w0] * (1 - lw) + x[:, :, h1][:, :, :, w1] * lw
    return top * (1 - lh)[:, None] + bot * lh[:, None]


def test_upsample_bilinear_is_align_corners():
    x = np.random.default_rng(15).standard_normal((1, 2, 4, 5)).astype(np.float32)
    m = make([("UpsampleBilinear", "x", "y", dict(height_scale=2.0, width_scale=1.6))], ["x"], ["y"], shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    ref = caffe2_upsample_bilinear(x, 2.0, 1.6)
    assert got.shape == (1, 2, 8, 8)
    assert_close(got, ref)
    # Naive: ONNX Resize linear with its default half_pixel coordinates (PyTorch align_corners=False).
    import torch

    naive = torch.nn.functional.interpolate(torch.from_numpy(x), size=(8, 8), mode="bilinear", align_corners=False)
    assert_naive_fails(naive.numpy(), ref)


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad_image_modes(mode):
    x = np.random.default_rng(16).standard_normal((1, 2, 4, 5)).astype(np.float32)
    m = make([("PadImage", "x", "y", dict(pad_t=1, pad_l=2, pad_b=3, pad_r=0, mode=mode, value=0.5))], ["x"], ["y"],
             shapes={"x": x.shape})
    got = run(export_onnx(m), {"x": x})["y"]
    np_mode = {"constant": "constant", "reflect": "reflect", "edge": "edge"}[mode]
    kw = {"constant_values": 0.5} if mode == "constant" else {}
    ref = np.pad(x, ((0, 0), (0, 0), (1, 3), (2, 0)), mode=np_mode, **kw)
    assert np.array_equal(got, ref)
    naive = np.pad(x, ((0, 0), (0, 0), (1, 2), (3, 0)), mode=np_mode, **kw)  # pads read as ONNX's t, b, l, r order
    assert naive.shape != ref.shape or not np.array_equal(naive, ref)
