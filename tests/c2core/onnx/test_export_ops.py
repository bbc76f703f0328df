"""One test per exported op (or spelling), ONNX Runtime against a NumPy formula
of the Caffe2 definition, and against the executor where it has the op.

Tolerance: relative 1e-5 (max|a-b| / max|ref|) for float outputs, exact for
integer/bool outputs.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.onnx import export_onnx, verify_onnx
from c2core.ops.registry import supported_op_types
from c2core.proto import caffe2_pb2

R = np.random.default_rng(80)
X4 = R.standard_normal((2, 3, 4, 5)).astype(np.float32)
X2 = R.standard_normal((4, 6)).astype(np.float32)
POS = (np.abs(X4) + 0.1).astype(np.float32)


def check(op_type, inputs, ref, weights=None, n_out=1, opsets=(13, 18), rtol=1e-5, **args):
    """Export one op with data `inputs` (name -> array), compare with `ref` (list)."""
    b = NetBuilder(op_type)
    names = list(inputs)
    b.inputs(*names)
    outs = [f"y{i}" for i in range(n_out)]
    b.op(op_type, names + list(weights or {}), outs, **args)
    b.outputs(*outs)
    m = model_from(b.net, weights or {})
    if m.init_net is None:
        m.init_net = caffe2_pb2.NetDef()
    m.value_info = {k: (_c2_dtype(v), list(v.shape)) for k, v in inputs.items()}
    for opset in opsets:
        proto = export_onnx(m, opset=opset)
        s = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        got = s.run(None, dict(inputs))
        for g, r in zip(got, ref):
            r = np.asarray(r)
            assert g.shape == r.shape, (op_type, opset, g.shape, r.shape)
            if r.dtype.kind in "iub":
                assert np.array_equal(g, r), (op_type, opset)
            else:
                err = np.abs(g.astype(np.float64) - r).max() / max(np.abs(r).max(), 1e-30)
                assert err <= rtol, (op_type, opset, err)
    if op_type in supported_op_types():
        rep = verify_onnx(m, proto, inputs=dict(inputs), rtol=max(rtol, 1e-5))
        assert rep.ok, rep.format()
    return m


def _c2_dtype(a):
    return {np.float32: 1, np.int32: 2, np.int64: 10, np.bool_: 5}[a.dtype.type]


def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


@pytest.mark.parametrize("op,fn,args", [
    ("Relu", lambda x: np.maximum(x, 0), {}),
    ("Sigmoid", sigmoid, {}),
    ("Tanh", np.tanh, {}),
    ("Exp", np.exp, {}),
    ("Abs", np.abs, {}),
    ("Negative", np.negative, {}),
    ("Softsign", lambda x: x / (1 + np.abs(x)), {}),
    ("Softplus", lambda x: np.log1p(np.exp(x.astype(np.float64))), {}),
    ("LeakyRelu", lambda x: np.where(x > 0, x, 0.01 * x), {}),
    ("LeakyRelu", lambda x: np.where(x > 0, x, 0.3 * x), {"alpha": 0.3}),
    ("Elu", lambda x: np.where(x > 0, x, np.expm1(x.astype(np.float64))), {}),
    ("Selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x.astype(np.float64))), {}),
    ("HardSigmoid", lambda x: np.clip(0.2 * x + 0.5, 0, 1), {}),
    ("Clip", lambda x: np.clip(x, -0.5, 0.7), {"min": -0.5, "max": 0.7}),
    ("Sqr", lambda x: x * x, {}),
    ("Swish", lambda x: x * sigmoid(x), {}),
    ("Scale", lambda x: x * 2.5, {"scale": 2.5}),
])
def test_unary(op, fn, args):
    check(op, {"x": X4}, [fn(X4)], **args)


@pytest.mark.parametrize("op,fn", [("Sqrt", np.sqrt), ("Log", np.log), ("Rsqrt", lambda x: 1 / np.sqrt(x))])
def test_unary_positive(op, fn):
    check(op, {"x": POS}, [fn(POS.astype(np.float64))])


def test_prelu_slope_is_per_channel():
    slope = np.array([0.1, 0.2, 0.3], np.float32)
    ref = np.where(X4 > 0, X4, X4 * slope.reshape(1, 3, 1, 1))
    check("PRelu", {"x": X4}, [ref], weights={"slope": slope})
    with pytest.raises(ValueError):  # naive NumPy alignment: slope against the last axis (5)
        np.where(X4 > 0, X4, X4 * slope)


@pytest.mark.parametrize("op,fn", [("Add", np.add), ("Sub", np.subtract), ("Mul", np.multiply), ("Div", np.divide),
                                   ("Max", np.maximum), ("Min", np.minimum)])
def test_binary_same_shape(op, fn):
    b = (R.standard_normal(X4.shape) + 3).astype(np.float32)
    check(op, {"a": X4, "b": b}, [fn(X4, b)])


@pytest.mark.parametrize("op,fn", [("LT", np.less), ("LE", np.less_equal), ("GT", np.greater), ("GE", np.greater_equal),
                                   ("EQ", np.equal), ("NE", np.not_equal)])
def test_comparisons(op, fn):
    a = R.integers(0, 3, (3, 4)).astype(np.float32)
    b = R.integers(0, 3, (3, 4)).astype(np.float32)
    check(op, {"a": a, "b": b}, [fn(a, b)])


def test_pow_with_exponent_argument_and_sum_mean():
    check("Pow", {"x": POS}, [POS.astype(np.float64) ** 1.5], exponent=1.5)
    c = R.standard_normal(X4.shape).astype(np.float32)
    check("Sum", {"a": X4, "b": c, "c": POS}, [X4 + c + POS])
    check("Mean", {"a": X4, "b": c}, [(X4 + c) / 2])


def test_affine_channel_and_instance_norm_and_layer_norm():
    s = np.array([0.5, 1.0, 2.0], np.float32)
    bb = np.array([0.1, -0.2, 0.3], np.float32)
    check("AffineChannel", {"x": X4}, [X4 * s.reshape(1, 3, 1, 1) + bb.reshape(1, 3, 1, 1)], weights={"s": s, "b": bb})
    mu = X4.mean(axis=(2, 3), keepdims=True)
    var = X4.var(axis=(2, 3), keepdims=True)
    ref = (X4 - mu) / np.sqrt(var + 1e-3) * s.reshape(1, 3, 1, 1) + bb.reshape(1, 3, 1, 1)
    check("InstanceNorm", {"x": X4}, [ref], weights={"s": s, "b": bb}, epsilon=1e-3)
    flat = X4.reshape(2, -1).astype(np.float64)
    m2, sd = flat.mean(1, keepdims=True), np.sqrt(flat.var(1, keepdims=True) + 1e-5)
    check("LayerNorm", {"x": X4}, [((flat - m2) / sd).reshape(X4.shape), m2, sd], n_out=3)
    m3 = X4.mean(axis=(2, 3), keepdims=True)
    sd3 = np.sqrt(X4.var(axis=(2, 3), keepdims=True) + 1e-5)
    check("LayerNorm", {"x": X4}, [(X4 - m3) / sd3, m3.reshape(2, 3, 1), sd3.reshape(2, 3, 1)], n_out=3, axis=2)


@pytest.mark.parametrize("op,fn", [("ReduceSum", np.sum), ("ReduceMean", np.mean), ("ReduceMax", np.max),
                                   ("ReduceMin", np.min), ("ReduceL1", lambda x, axis, keepdims: np.abs(x).sum(axis, keepdims=keepdims)),
                                   ("ReduceL2", lambda x, axis, keepdims: np.sqrt((x.astype(np.float64) ** 2).sum(axis, keepdims=keepdims)))])
def test_reductions(op, fn):
    check(op, {"x": X4}, [fn(X4, axis=(1, 3), keepdims=True)], axes=[1, 3])
    check(op, {"x": X4}, [fn(X4, axis=(0,), keepdims=False)], axes=[0], keepdims=0)


@pytest.mark.parametrize("op,fn", [("ReduceFrontSum", np.sum), ("ReduceBackMean", np.mean), ("ReduceFrontMax", np.max),
                                   ("ReduceBackSum", np.sum), ("ReduceFrontMean", np.mean), ("ReduceBackMax", np.max)])
def test_front_back_reductions(op, fn):
    axes = (0, 1) if "Front" in op else (2, 3)
    check(op, {"x": X4}, [fn(X4, axis=axes)], num_reduce_dim=2)


def test_argmax_argmin_first_index_on_ties():
    x = np.array([[1, 3, 3, 0], [2, 2, 1, 2]], np.float32)
    check("ArgMax", {"x": x}, [np.array([[1], [0]], np.int64)], axis=1)
    check("ArgMin", {"x": x}, [np.array([3, 2], np.int64)], axis=1, keepdims=0)


def test_matmul_flattening_and_transposes():
    a = R.standard_normal((2, 3, 4)).astype(np.float32)
    bm = R.standard_normal((5, 12)).astype(np.float32)
    check("MatMul", {"a": a, "b": bm}, [a.reshape(2, 12) @ bm.T], trans_b=1)
    a2 = R.standard_normal((6, 2)).astype(np.float32)
    b2 = R.standard_normal((6, 3)).astype(np.float32)
    check("MatMul", {"a": a2, "b": b2}, [a2.T @ b2], trans_a=1)
    ba = R.standard_normal((3, 4, 5)).astype(np.float32)
    bb = R.standard_normal((3, 6, 5)).astype(np.float32)
    check("BatchMatMul", {"a": ba, "b": bb}, [ba @ bb.transpose(0, 2, 1)], trans_b=1)


def test_tensor_shuffling_ops():
    check("Transpose", {"x": X4}, [X4.transpose(0, 2, 3, 1)], axes=[0, 2, 3, 1])
    check("Transpose", {"x": X4}, [X4.transpose()])
    check("NCHW2NHWC", {"x": X4}, [X4.transpose(0, 2, 3, 1)])
    check("NHWC2NCHW", {"x": X4}, [X4.transpose(0, 3, 1, 2)])
    check("Flatten", {"x": X4}, [X4.reshape(2, -1)])
    check("FlattenToVec", {"x": X4}, [X4.reshape(-1)])
    check("Squeeze", {"x": X4[:, :1]}, [X4[:, 0]], dims=[1])
    check("ExpandDims", {"x": X2}, [X2[None, :, None]], dims=[0, 2])
    check("Copy", {"x": X2}, [X2])
    check("Concat", {"a": X2, "b": X2 * 2}, [np.stack([X2, X2 * 2], 1)], axis=1, add_axis=1)
    check("Concat", {"a": X4, "b": X4}, [np.concatenate([X4, X4], 3)], order="NHWC")


def test_split_and_slice():
    check("Split", {"x": X4}, np.split(X4, [1], axis=1), n_out=2, split=[1, 2], axis=1)
    check("Split", {"x": X4}, np.split(X4, 2, axis=0), n_out=2, axis=0)
    ref = X4[:, 1:3, :, 2:]
    check("Slice", {"x": X4}, [ref], starts=[0, 1, 0, 2], ends=[-1, 3, -1, -1])
    naive = X4[:, 1:3, :-1, 2:-1]  # ends read as Python's exclusive -1
    assert naive.shape != ref.shape


def test_gather_size_cast_and_fills():
    idx = np.array([[2, 0], [1, 1]], np.int64)
    check("Gather", {"x": X2, "i": idx}, [X2[idx]])
    check("Size", {"x": X4}, [np.array(X4.size, np.int64)])
    check("Cast", {"x": X2}, [X2.astype(np.int32)], to=2)
    check("ConstantFill", {"x": X2}, [np.full(X2.shape + (2,), 3, np.int64)], value=3, dtype=10, extra_shape=[2])
    shp = np.array([2, 3], np.int64)
    check("ConstantFill", {"s": shp}, [np.full((2, 3), 1.5, np.float32)], value=1.5, input_as_shape=1)


def test_fills_in_the_predict_net_become_constants():
    b = NetBuilder("fills")
    b.inputs("x")
    b.op("GivenTensorFill", [], "c", shape=[4, 6], values=np.arange(24, dtype=np.float32))
    b.op("ConstantFill", [], "k", shape=[1], value=2.0)
    b.op("Mul", ["x", "c"], "t")
    b.op("Add", ["t", "k"], "y", broadcast=1)
    b.outputs("y")
    m = model_from(b.net, {})
    m.init_net = caffe2_pb2.NetDef()
    m.value_info = {"x": (1, [4, 6])}
    proto = export_onnx(m)
    assert {n.op_type for n in proto.graph.node} == {"Mul", "Add"}
    y = ort.InferenceSession(proto.SerializeToString()).run(None, {"x": X2})[0]
    assert np.allclose(y, X2 * np.arange(24).reshape(4, 6) + 2, rtol=1e-6)
    assert verify_onnx(m, proto).ok


@pytest.mark.parametrize("kw", [dict(kernel=3, stride=2, pad=1, group=3), dict(kernel=3, dilation=2, pad=2),
                                dict(kernel_h=3, kernel_w=1, pad_t=1, pad_b=1, pad_l=0, pad_r=0),
                                dict(kernel=2, stride=1, legacy_pad=1), dict(kernel=3, stride=2, legacy_pad=2)])
def test_conv_geometry_spellings(kw):
    import torch

    x = R.standard_normal((1, 3, 9, 9)).astype(np.float32)
    g = kw.get("group", 1)
    kh, kwid = kw.get("kernel_h", kw.get("kernel")), kw.get("kernel_w", kw.get("kernel"))
    w = R.standard_normal((6, 3 // g, kh, kwid)).astype(np.float32)
    b = R.standard_normal(6).astype(np.float32)
    s, d = kw.get("stride", 1), kw.get("dilation", 1)
    if kw.get("legacy_pad") == 1:
        pads = (0, 0, 0, 0)
    elif kw.get("legacy_pad") == 2:  # SAME: out = ceil(9 / 2) = 5, need (5-1)*2+3-9 = 2 -> 1 / 1
        pads = (1, 1, 1, 1)
    else:
        p = kw.get("pad", 0)
        pads = (kw.get("pad_l", p), kw.get("pad_r", p), kw.get("pad_t", p), kw.get("pad_b", p))
    xp = torch.nn.functional.pad(torch.from_numpy(x), pads)
    ref = torch.nn.functional.conv2d(xp, torch.from_numpy(w), torch.from_numpy(b), stride=s, dilation=d, groups=g).numpy()
    check("Conv", {"x": x}, [ref], weights={"w": w, "b": b}, **kw)


def test_conv_transpose_with_adj():
    import torch

    x = R.standard_normal((1, 4, 5, 5)).astype(np.float32)
    w = R.standard_normal((4, 2, 3, 3)).astype(np.float32)
    b = R.standard_normal(2).astype(np.float32)
    ref = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), stride=2,
                                               padding=1, output_padding=1).numpy()
    check("ConvTranspose", {"x": x}, [ref], weights={"w": w, "b": b}, kernel=3, stride=2, pad=1, adj=1)


def test_depth_split_batch_permutation_lp_pool():
    check("DepthSplit", {"x": X4}, np.split(X4, [1], axis=1), n_out=2, split=[1, 2])
    perm = np.array([1, 0], np.int32)
    check("BatchPermutation", {"x": X4, "i": perm}, [X4[perm]])
    xp = np.pad(X4, ((0, 0), (0, 0), (1, 1), (1, 1)))  # zero padding adds nothing to sum |x|^2
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    ref = np.sqrt((win.astype(np.float64) ** 2).sum(axis=(-1, -2)))
    check("LpPool", {"x": X4}, [ref], kernel=3, stride=2, pad=1)


def test_log_softmax_coerces_like_softmax():
    flat = X4.reshape(2, -1).astype(np.float64)
    ref = (flat - flat.max(1, keepdims=True)) - np.log(np.exp(flat - flat.max(1, keepdims=True)).sum(1, keepdims=True))
    check("LogSoftmax", {"x": X4}, [ref.reshape(X4.shape)])


def test_detectron_upsample_nearest_narrow_as_and_tile():
    check("UpsampleNearest", {"x": X4}, [X4.repeat(3, axis=2).repeat(3, axis=3)], scale=3)
    small = np.zeros((1, 1, 3, 2), np.float32)
    check("SpatialNarrowAs", {"a": X4, "b": small}, [X4[:, :, :3, :2]])
    check("Tile", {"x": X2}, [np.tile(X2, (1, 3))], tiles=3, axis=1)


def test_group_norm():
    x = R.standard_normal((2, 6, 3, 3)).astype(np.float32)
    gamma = R.uniform(0.5, 1.5, 6).astype(np.float32)
    beta = R.standard_normal(6).astype(np.float32)
    gx = x.reshape(2, 3, -1).astype(np.float64)
    y = ((gx - gx.mean(-1, keepdims=True)) / np.sqrt(gx.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    ref = y * gamma.reshape(1, 6, 1, 1) + beta.reshape(1, 6, 1, 1)
    check("GroupNorm", {"x": x}, [ref], weights={"gamma": gamma, "beta": beta}, group=3)
    ix = x.astype(np.float64)  # naive: InstanceNorm-like per-channel statistics
    naive = (ix - ix.mean((2, 3), keepdims=True)) / np.sqrt(ix.var((2, 3), keepdims=True) + 1e-5)
    assert np.abs(naive * gamma.reshape(1, 6, 1, 1) + beta.reshape(1, 6, 1, 1) - ref).max() > 1e-2
