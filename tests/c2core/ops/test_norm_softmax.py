"""SpatialBN, LRN, InstanceNorm, LayerNorm, Softmax against NumPy formulas
from the Caffe2 operator definitions (tolerance 1e-5, LRN 1e-5 rel)."""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1, run_op

rng = np.random.default_rng(5)
X = rng.standard_normal((2, 4, 3, 5)).astype(np.float32)
XD = X.astype(np.float64)
TOL = dict(rtol=1e-5, atol=1e-5)


def bn_params(c):
    return (rng.random(c).astype(np.float32) + 0.5, rng.standard_normal(c).astype(np.float32),
            rng.standard_normal(c).astype(np.float32), rng.random(c).astype(np.float32) + 0.1)


@pytest.mark.parametrize("consts", [(1, 2, 3, 4), ()])
def test_spatial_bn_test_mode(consts):
    s, b, m, v = bn_params(4)
    ref = (XD - m.reshape(1, 4, 1, 1)) / np.sqrt(v.reshape(1, 4, 1, 1) + 1e-3) * s.reshape(1, 4, 1, 1) + b.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(run1("SpatialBN", [X, s, b, m, v], consts=consts, is_test=1, epsilon=1e-3), ref, **TOL)


def test_spatial_bn_nhwc_default_epsilon():
    s, b, m, v = bn_params(4)
    xn = X.transpose(0, 2, 3, 1).copy()
    ref = (xn - m) / np.sqrt(v.astype(np.float64) + 1e-5) * s + b
    np.testing.assert_allclose(run1("SpatialBN", [xn, s, b, m, v], consts=(1, 2, 3, 4), is_test=1, order="NHWC"), ref, **TOL)


def lrn_ref(x, size, alpha, beta, bias):
    c = x.shape[1]
    pre = (size - 1) // 2
    sq = x.astype(np.float64) ** 2
    y = np.zeros_like(sq)
    for ch in range(c):
        lo, hi = max(ch - pre, 0), min(ch - pre + size, c)
        scale = bias + alpha / size * sq[:, lo:hi].sum(axis=1)
        y[:, ch] = x[:, ch] * scale ** (-beta)
    return y


@pytest.mark.parametrize("size", [3, 5, 4])
def test_lrn_across_channels(size):
    x = rng.standard_normal((1, 7, 3, 3)).astype(np.float32)
    y = run1("LRN", [x], size=size, alpha=1e-2, beta=0.75, bias=2.0)
    np.testing.assert_allclose(y, lrn_ref(x, size, 1e-2, 0.75, 2.0), rtol=1e-5, atol=1e-6)
    y2, scale = run_op("LRN", [x], n_out=2, size=size, alpha=1e-2, beta=0.75)  # default bias 1
    np.testing.assert_allclose(y2, lrn_ref(x, size, 1e-2, 0.75, 1.0), rtol=1e-5, atol=1e-6)
    assert scale.shape == x.shape


def test_instance_norm():
    s, b = rng.random(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    mean = XD.mean(axis=(2, 3), keepdims=True)
    var = XD.var(axis=(2, 3), keepdims=True)
    ref = (XD - mean) / np.sqrt(var + 1e-5) * s.reshape(1, 4, 1, 1) + b.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(run1("InstanceNorm", [X, s, b], consts=(1, 2)), ref, rtol=1e-4, atol=1e-5)


def test_layer_norm_axis_and_statistics():
    y, mean, std = run_op("LayerNorm", [X], n_out=3, axis=2, epsilon=1e-4)
    flat = XD.reshape(2, 4, -1)
    mu = flat.mean(axis=2)
    sd = np.sqrt(flat.var(axis=2) + 1e-4)
    np.testing.assert_allclose(y, ((flat - mu[..., None]) / sd[..., None]).reshape(X.shape), rtol=1e-4, atol=1e-5)
    assert mean.shape == (2, 4, 1) and std.shape == (2, 4, 1)
    np.testing.assert_allclose(std[..., 0], sd, rtol=1e-5)


def test_softmax_normalises_over_c_h_w_at_axis_1():
    y = run1("Softmax", [X])
    flat = XD.reshape(2, -1)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    np.testing.assert_allclose(y, (e / e.sum(axis=1, keepdims=True)).reshape(X.shape), **TOL)
    # a per-pixel softmax would not sum to 1 over the whole sample:
    assert abs(y[0].sum() - 1) < 1e-5


def test_softmax_axis_and_log_softmax():
    y = run1("Softmax", [X], axis=3)
    e = np.exp(XD - XD.max(axis=3, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=3, keepdims=True), **TOL)
    ly = run1("LogSoftmax", [X], axis=2)
    flat = XD.reshape(8, -1)
    ref = flat - flat.max(axis=1, keepdims=True)
    ref = ref - np.log(np.exp(ref).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(ly, ref.reshape(X.shape), **TOL)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("axis", [4, 10, -5])
def test_softmax_axis_out_of_range_is_refused(op, axis):
    """Caffe2 enforces -ndim <= axis < ndim; axis 10 on a 4-D input ran as axis 2 (10 % 4)."""
    from c2core.errors import C2Error

    with pytest.raises(C2Error, match=f"axis {axis} is out of range for a 4-D input"):
        run1(op, [np.ones((1, 3, 2, 2), np.float32)], axis=axis)
    y = run1(op, [np.zeros((1, 3, 2, 2), np.float32)], axis=-4)  # -4 is axis 0: one row of 12
    np.testing.assert_allclose(y, np.full((1, 3, 2, 2), 1 / 12 if op == "Softmax" else -np.log(12)), rtol=1e-6)
