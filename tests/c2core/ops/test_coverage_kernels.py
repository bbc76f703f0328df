"""Kernels added so that every exportable op also runs (issue 10, coverage), each
against a NumPy reference written here, and the shape rules added for ops that
ran without one, checked against what the executor produces.

Tolerances: float32 math against float64 NumPy, rtol 1e-5 / atol 1e-6 unless noted.
"""

import math

import numpy as np
import pytest

from c2core.builder import NetBuilder
from c2core.model import Model
from c2core.proto import caffe2_pb2
from c2core.shapes import infer_shapes
from tests.c2core.ops._run_op import run1, run_op

rng = np.random.default_rng(7)
TOL = dict(rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op,ref,lo,hi", [
    ("Sin", np.sin, -4, 4), ("Cos", np.cos, -4, 4), ("Tan", np.tan, -1.2, 1.2),
    ("Asin", np.arcsin, -0.99, 0.99), ("Acos", np.arccos, -0.99, 0.99), ("Atan", np.arctan, -5, 5),
    ("Floor", np.floor, -3, 3), ("Ceil", np.ceil, -3, 3), ("Sign", np.sign, -2, 2),
    ("Erf", np.vectorize(math.erf), -3, 3), ("Softsign", lambda x: x / (1 + np.abs(x)), -5, 5),
])
def test_unary_math(op, ref, lo, hi):
    x = rng.uniform(lo, hi, (2, 3, 4)).astype(np.float32)
    x[0, 0, 0] = 0.0  # Sign(0) = 0
    np.testing.assert_allclose(run1(op, [x]), ref(x.astype(np.float64)), **TOL)


def test_unary_math_in_place():
    b = NetBuilder("ip")
    b.inputs("x")
    b.op("Scale", "x", "y", scale=1.0)
    b.op("Floor", "y", "y")
    b.outputs("y")
    from c2core.runtime import Predictor

    x = rng.uniform(-3, 3, (5,)).astype(np.float32)
    out = Predictor(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef())).run({"x": x})["y"]
    np.testing.assert_array_equal(out, np.floor(x))


def test_selu_uses_the_schema_defaults():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    a, s = 1.6732632423543772, 1.0507009873554805
    ref = s * np.where(x > 0, x, a * np.expm1(x.astype(np.float64)))
    np.testing.assert_allclose(run1("Selu", [x]), ref, **TOL)
    np.testing.assert_allclose(run1("Selu", [x], alpha=2.0, scale=0.5), 0.5 * np.where(x > 0, x, 2.0 * np.expm1(x.astype(np.float64))), **TOL)


def test_mean_of_inputs():
    xs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    np.testing.assert_allclose(run1("Mean", xs), np.mean(np.stack(xs).astype(np.float64), axis=0), **TOL)
    from c2core.errors import C2Error

    with pytest.raises(C2Error, match="same shape"):
        run1("Mean", [xs[0], xs[1][:, :2]])


@pytest.mark.parametrize("shape,tiles,axis", [((2, 3), 3, 0), ((2, 3), 2, 1), ((2, 3, 4), 2, -1)])
def test_tile_repeats_whole_blocks(shape, tiles, axis):
    x = rng.standard_normal(shape).astype(np.float32)
    reps = [1] * len(shape)
    reps[axis] = tiles
    np.testing.assert_array_equal(run1("Tile", [x], tiles=tiles, axis=axis), np.tile(x, reps))


def test_tile_takes_tiles_and_axis_from_inputs():
    x = rng.standard_normal((2, 3)).astype(np.float32)
    out = run1("Tile", [x, np.array([2], np.int32), np.array([1], np.int32)])
    np.testing.assert_array_equal(out, np.tile(x, (1, 2)))


@pytest.mark.parametrize("order", ["NCHW", "NHWC"])
def test_affine_channel(order):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    scale = rng.standard_normal(3 if order == "NCHW" else 5).astype(np.float32)
    bias = rng.standard_normal(scale.shape).astype(np.float32)
    shape = (1, -1, 1, 1) if order == "NCHW" else (1, 1, 1, -1)
    ref = x * scale.reshape(shape) + bias.reshape(shape)
    np.testing.assert_allclose(run1("AffineChannel", [x, scale, bias], consts=(1, 2), order=order), ref, **TOL)


def _group_norm_ref(x, gamma, beta, g, eps):
    n, c = x.shape[:2]
    xg = x.astype(np.float64).reshape(n, g, -1)
    mu = xg.mean(axis=2)
    var = xg.var(axis=2)
    inv = 1.0 / np.sqrt(var + eps)
    y = ((xg - mu[..., None]) * inv[..., None]).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * gamma.reshape(shape) + beta.reshape(shape), mu, inv


@pytest.mark.parametrize("order", ["NCHW", "NHWC"])
def test_group_norm_with_statistics(order):
    x = rng.standard_normal((2, 6, 3, 4)).astype(np.float32)
    gamma = rng.standard_normal(6).astype(np.float32)
    beta = rng.standard_normal(6).astype(np.float32)
    y_ref, mu, inv = _group_norm_ref(x, gamma, beta, 3, 1e-5)
    feed = x if order == "NCHW" else x.transpose(0, 2, 3, 1)
    y, m, s = run_op("GroupNorm", [feed, gamma, beta], n_out=3, consts=(1, 2), group=3, order=order)
    if order == "NHWC":
        y = y.transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m, mu, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(s, inv, rtol=1e-4, atol=1e-5)


def test_group_norm_default_group_is_the_schema_32():
    x = rng.standard_normal((1, 64, 2, 2)).astype(np.float32)
    gamma, beta = np.ones(64, np.float32), np.zeros(64, np.float32)
    np.testing.assert_allclose(run1("GroupNorm", [x, gamma, beta], consts=(1, 2)),
                               _group_norm_ref(x, gamma, beta, 32, 1e-5)[0], rtol=1e-4, atol=1e-5)


def test_spatial_narrow_as_crops_to_b():
    a = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
    b = np.zeros((1, 7, 3, 4), np.float32)
    np.testing.assert_array_equal(run1("SpatialNarrowAs", [a, b]), a[:, :, :3, :4])


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_upsample_nearest_integer_scale(scale):
    x = rng.standard_normal((1, 2, 3, 4)).astype(np.float32)
    ref = x[:, :, np.arange(3 * scale) // scale][:, :, :, np.arange(4 * scale) // scale]
    kw = {} if scale == 2 else {"scale": scale}  # 2 is the schema default
    np.testing.assert_array_equal(run1("UpsampleNearest", [x], **kw), ref)


# ----- shape rules added for ops that ran without one: rule == executor


def _net(op_type, n_in, n_out, **args):
    b = NetBuilder("one")
    ins = [f"i{k}" for k in range(n_in)]
    outs = [f"o{k}" for k in range(n_out)]
    b.inputs(*ins)
    b.op(op_type, ins, outs, **args)
    b.outputs(*outs)
    return Model(predict_net=b.net, init_net=caffe2_pb2.NetDef()), ins, outs


@pytest.mark.parametrize("op_type,inputs,n_out,args", [
    ("DepthConcat", [(1, 2, 3, 3), (1, 4, 3, 3)], 2, {}),
    ("DepthSplit", [(1, 6, 2, 2)], 3, {}),
    ("Upsample", [(1, 2, 3, 4)], 1, {"height_scale": 2.0, "width_scale": 3.0}),
    ("UpsampleNearest", [(1, 2, 3, 4)], 1, {"scale": 3}),
    ("SpatialNarrowAs", [(1, 2, 5, 6), (1, 1, 3, 4)], 1, {}),
    ("Tile", [(2, 3)], 1, {"tiles": 3, "axis": 1}),
    ("Mean", [(2, 3), (2, 3)], 1, {}),
    ("GroupNorm", [(2, 8, 3, 3), (8,), (8,)], 3, {"group": 4}),
    ("Atan", [(2, 5)], 1, {}),
])
def test_shape_rule_matches_the_executor(op_type, inputs, n_out, args):
    from c2core.runtime import Predictor

    model, ins, outs = _net(op_type, len(inputs), n_out, **args)
    feeds = {n: rng.standard_normal(s).astype(np.float32) for n, s in zip(ins, inputs)}
    got = Predictor(model).run(feeds)
    infos = infer_shapes(model, input_shapes={n: s for n, s in zip(ins, inputs)})
    for o in outs:
        assert infos[o].shape == tuple(got[o].shape), (o, infos[o], got[o].shape)
