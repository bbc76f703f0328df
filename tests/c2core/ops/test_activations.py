"""Pointwise activations against their NumPy formulas (tolerance 1e-6 rel,
1e-6 abs; transcendental ones 1e-5)."""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1

rng = np.random.default_rng(4)
X = (rng.standard_normal((2, 3, 4, 5)) * 3).astype(np.float32)
XD = X.astype(np.float64)


@pytest.mark.parametrize("op,args,ref", [
    ("Relu", {}, np.maximum(XD, 0)),
    ("LeakyRelu", {}, np.where(XD >= 0, XD, 0.01 * XD)),
    ("LeakyRelu", {"alpha": 0.2}, np.where(XD >= 0, XD, 0.2 * XD)),
    ("Elu", {}, np.where(XD > 0, XD, np.exp(XD) - 1)),
    ("Elu", {"alpha": 0.5}, np.where(XD > 0, XD, 0.5 * (np.exp(XD) - 1))),
    ("Sigmoid", {}, 1 / (1 + np.exp(-XD))),
    ("Tanh", {}, np.tanh(XD)),
    ("Softplus", {}, np.log1p(np.exp(XD))),
    ("Swish", {}, XD / (1 + np.exp(-XD))),
    ("Clip", {"min": -1.0, "max": 2.0}, np.clip(XD, -1, 2)),
    ("Clip", {"min": 0.0, "max": 6.0}, np.clip(XD, 0, 6)),  # Relu6
    ("Clip", {"max": 0.5}, np.minimum(XD, 0.5)),
    ("Exp", {}, np.exp(XD)),
    ("Abs", {}, np.abs(XD)),
    ("Negative", {}, -XD),
    ("Scale", {"scale": 2.5}, XD * 2.5),
    ("Sqr", {}, XD * XD),
])
def test_unary(op, args, ref):
    np.testing.assert_allclose(run1(op, [X], **args), ref, rtol=1e-5, atol=1e-5)


def test_log_sqrt_on_positive_values():
    p = np.abs(X) + 0.1
    np.testing.assert_allclose(run1("Log", [p]), np.log(p.astype(np.float64)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run1("Sqrt", [p]), np.sqrt(p.astype(np.float64)), rtol=1e-6)


def test_prelu_shared_per_channel_and_nhwc():
    slope = np.array([0.1, 0.2, 0.3], np.float32)
    ref = np.where(XD > 0, XD, XD * slope.reshape(1, 3, 1, 1))
    np.testing.assert_allclose(run1("PRelu", [X, slope], consts=(1,)), ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(run1("PRelu", [X, np.array([0.25], np.float32)], consts=(1,)), np.where(XD > 0, XD, 0.25 * XD), rtol=1e-6)
    xn = X.transpose(0, 2, 3, 1).copy()
    np.testing.assert_allclose(run1("PRelu", [xn, slope], order="NHWC"), ref.transpose(0, 2, 3, 1), rtol=1e-6, atol=1e-6)
