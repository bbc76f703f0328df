"""Add/Sub/Mul/Div/Pow/Max/Min/Sum with legacy (axis) and NumPy broadcasting.

Legacy reference: B reshaped by hand to A's rank with B's dims placed at
`axis` (suffix when axis = -1), then NumPy arithmetic. Tolerance 1e-6.
"""

import numpy as np
import pytest

from c2core.errors import C2RuntimeError
from tests.c2core.ops._run_op import run1

rng = np.random.default_rng(6)
A = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
OPS = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}


@pytest.mark.parametrize("op", list(OPS))
def test_legacy_broadcast_axis_1(op):
    b = (rng.random(3) + 0.5).astype(np.float32)
    y = run1(op, [A, b], consts=(1,), broadcast=1, axis=1)
    np.testing.assert_allclose(y, OPS[op](A, b.reshape(1, 3, 1, 1)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", list(OPS))
def test_legacy_broadcast_suffix_and_middle_block(op):
    b = (rng.random((4, 5)) + 0.5).astype(np.float32)
    y = run1(op, [A, b], broadcast=1)  # axis -1: aligned to the suffix
    np.testing.assert_allclose(y, OPS[op](A, b.reshape(1, 1, 4, 5)), rtol=1e-6, atol=1e-6)
    b2 = (rng.random((3, 4)) + 0.5).astype(np.float32)
    y = run1(op, [A, b2], broadcast=1, axis=1)
    np.testing.assert_allclose(y, OPS[op](A, b2.reshape(1, 3, 4, 1)), rtol=1e-6, atol=1e-6)
    y = run1(op, [A, b2[:, :1].copy()], broadcast=1, axis=1)  # trailing 1 in B
    np.testing.assert_allclose(y, OPS[op](A, b2[:, :1].reshape(1, 3, 1, 1)), rtol=1e-6, atol=1e-6)


def test_legacy_broadcast_axis_str_and_shape_mismatch():
    b = rng.standard_normal(3).astype(np.float32)
    np.testing.assert_allclose(run1("Mul", [A, b], broadcast=1, axis_str="C", order="NCHW"), A * b.reshape(1, 3, 1, 1), rtol=1e-6)
    with pytest.raises(C2RuntimeError, match=r"op #0 Add.*in0 \[2, 3, 4, 5\] float32"):
        run1("Add", [A, np.ones(4, np.float32)], broadcast=1, axis=1)


def test_numpy_broadcast_without_flag():
    b = rng.standard_normal((3, 1, 5)).astype(np.float32)
    np.testing.assert_allclose(run1("Add", [A, b]), A + b, rtol=1e-6)
    np.testing.assert_allclose(run1("Mul", [b, A]), b * A, rtol=1e-6)


def test_pow_max_min_sum():
    p = np.abs(A) + 0.1
    e = (rng.random((5,)) * 2).astype(np.float32)
    np.testing.assert_allclose(run1("Pow", [p, e], broadcast=1), p.astype(np.float64) ** e, rtol=1e-5)
    np.testing.assert_allclose(run1("Pow", [p], exponent=2.0), p.astype(np.float64) ** 2, rtol=1e-5)
    b, c = rng.standard_normal(A.shape).astype(np.float32), rng.standard_normal(A.shape).astype(np.float32)
    np.testing.assert_allclose(run1("Max", [A, b, c]), np.maximum(np.maximum(A, b), c))
    np.testing.assert_allclose(run1("Min", [A, b]), np.minimum(A, b))
    np.testing.assert_allclose(run1("Sum", [A, b, c]), A + b + c, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(run1("Sum", [A]), A)


def test_integer_div_truncates():
    a = np.array([7, -7, 9], np.int32)
    b = np.array([2, 2, -4], np.int32)
    np.testing.assert_array_equal(run1("Div", [a, b]), np.array([3, -3, -2]))
