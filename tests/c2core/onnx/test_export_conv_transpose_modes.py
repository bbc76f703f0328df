"""ONNX export of ConvTranspose under `legacy_pad`, `adj` and `dilation`, as Caffe2 defines them.

Caffe2 (conv_transpose_unpool_op_base.h): legacy_pad VALID/SAME force zero
pads; out = (in - 1) * stride + kernel + adj - pad_head - pad_tail with
0 <= adj <= stride; `dilation` is ignored. ONNX's output_padding must be
below the stride (ONNX Runtime refuses adj == stride), so the exporter turns
adj into a smaller tail pad, output_padding, or a zero Pad before the bias.

Each case: ONNX Runtime output against a NumPy scatter-add reference (float64)
and, through verify_onnx, against the executor. Tolerance: relative 1e-5
(max|a-b| / max|ref|).
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.errors import C2Error
from c2core.onnx import export_onnx, verify_onnx
from c2core.proto import caffe2_pb2

R = np.random.default_rng(31)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def scatter_ref(x, w, b, stride, pads, adj):
    """NCHW, group 1: scatter every input pixel times the filter, zero-extend by adj, crop, add bias."""
    n, c, h, wd = x.shape
    _, m, kh, kw = w.shape
    fh, fw = (h - 1) * stride[0] + kh + adj[0], (wd - 1) * stride[1] + kw + adj[1]
    full = np.zeros((n, m, fh, fw))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw] += \
                np.einsum("nc,cmab->nmab", x[:, :, i, j].astype(np.float64), w.astype(np.float64))
    t, l, bo, r = pads
    y = full[:, :, t:fh - bo, l:fw - r]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def export_and_run(x, weights, opset=17, **args):
    b = NetBuilder("convt")
    b.inputs("x")
    b.op("ConvTranspose", ["x"] + list(weights), ["y"], **args)
    b.outputs("y")
    m = model_from(b.net, weights)
    if m.init_net is None:
        m.init_net = caffe2_pb2.NetDef()
    m.value_info = {"x": (1, list(x.shape))}
    proto = export_onnx(m, opset=opset)
    s = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    rep = verify_onnx(m, proto, inputs={"x": x}, rtol=1e-5)
    assert rep.ok, rep.format()
    return s.run(None, {"x": x})[0], proto


def rel_err(got, ref):
    return np.abs(got.astype(np.float64) - ref).max() / np.abs(ref).max()


@pytest.mark.parametrize("opset", [13, 18])
@pytest.mark.parametrize("args, pads, adj", [
    (dict(legacy_pad=1, adj=1), (0, 0, 0, 0), (1, 1)),                      # output_padding
    (dict(legacy_pad=2, adj_h=2, adj_w=0), (0, 0, 0, 0), (2, 0)),           # adj == stride: Pad
    (dict(pads=[1, 0, 2, 0], adjs=[1, 2]), (1, 0, 2, 0), (1, 2)),           # tail pad absorbs adj / Pad
    (dict(pads=[0, 1, 1, 1], adj=1), (0, 1, 1, 1), (1, 1)),                 # tail pad absorbs adj
])
def test_modes_match_reference(opset, args, pads, adj):
    x, w, b = f32(2, 3, 4, 5), f32(3, 4, 3, 3), f32(4)
    for weights, bias in (({"w": w, "b": b}, b), ({"w": w}, None)):
        got, _ = export_and_run(x, weights, opset=opset, kernel=3, stride=2, **args)
        ref = scatter_ref(x, w, bias, (2, 2), pads, adj)
        assert got.shape == ref.shape
        assert rel_err(got, ref) <= 1e-5


def test_nhwc_legacy_same_adj_equal_stride():
    x, w, b = f32(1, 3, 4, 4), f32(3, 2, 3, 3), f32(2)
    xn, wn = x.transpose(0, 2, 3, 1).copy(), w.transpose(0, 2, 3, 1).copy()
    got, _ = export_and_run(xn, {"w": wn, "b": b}, kernel=3, stride=2, adj=2, legacy_pad=2, order="NHWC")
    ref = scatter_ref(x, w, b, (2, 2), (0, 0, 0, 0), (2, 2)).transpose(0, 2, 3, 1)
    assert got.shape == ref.shape == (1, 11, 11, 2)
    assert rel_err(got, ref) <= 1e-5


def test_dilation_is_dropped_like_caffe2():
    x, w, b = f32(1, 3, 4, 4), f32(3, 2, 3, 3), f32(2)
    got, proto = export_and_run(x, {"w": w, "b": b}, kernel=3, stride=2, pad=1, dilation=2)
    assert rel_err(got, scatter_ref(x, w, b, (2, 2), (1, 1, 1, 1), (0, 0))) <= 1e-5
    node = next(n for n in proto.graph.node if n.op_type == "ConvTranspose")
    assert all(list(a.ints) == [1, 1] for a in node.attribute if a.name == "dilations")


@pytest.mark.parametrize("args, match", [
    (dict(legacy_pad=1, pad=1), "explicit pads"),
    (dict(legacy_pad=3), "CAFFE_LEGACY_POOLING"),
    (dict(adj=3), "adj 3"),
])
def test_refused_like_caffe2(args, match):
    x, w = f32(1, 3, 4, 4), f32(3, 2, 3, 3)
    with pytest.raises(C2Error, match=match):
        export_and_run(x, {"w": w}, kernel=3, stride=2, **args)


def test_node_forms():
    """adj <= pad_tail: a smaller tail pad; adj < stride: output_padding; adj == stride: a zero Pad, then the bias."""
    x, w, b = f32(1, 3, 4, 4), f32(3, 2, 3, 3), f32(2)
    forms = {}
    for name, args in {"pad": dict(pad=1, adj=1), "opad": dict(adj=1), "zero_pad": dict(adj=2)}.items():
        _, proto = export_and_run(x, {"w": w, "b": b}, kernel=3, stride=2, **args)
        forms[name] = [n.op_type for n in proto.graph.node]
    assert forms["pad"] == forms["opad"] == ["ConvTranspose"]
    assert forms["zero_pad"] == ["ConvTranspose", "Pad", "Reshape", "Add"]
