"""FC / FCTransposed / MatMul / BatchMatMul against NumPy matrix products.

FC: X reshaped to [prod(X.shape[:axis]), -1], W to [prod(W.shape[:axis_w]),
-1], Y = X·Wᵀ + b reshaped to X.shape[:axis] + [N]. Tolerance 1e-4.
"""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1

TOL = dict(rtol=1e-4, atol=1e-4)
rng = np.random.default_rng(3)


def f32(*s):
    return rng.standard_normal(s).astype(np.float32)


def test_fc_2d_and_flattening_4d_input():
    x, w, b = f32(3, 8), f32(5, 8), f32(5)
    np.testing.assert_allclose(run1("FC", [x, w, b], consts=(1, 2)), x @ w.T + b, **TOL)
    x4 = f32(2, 2, 3, 4)  # flattened to [2, 24] at axis 1
    w4 = f32(6, 24)
    np.testing.assert_allclose(run1("FC", [x4, w4, f32(6) * 0], consts=(1, 2)), x4.reshape(2, 24) @ w4.T, **TOL)


def test_fc_axis_2_and_axis_w():
    x = f32(2, 3, 4, 5)  # axis 2: M = 6, K = 20; output [2, 3, 7]
    w = f32(7, 4, 5)  # axis_w 1: N = 7, K = 20
    b = f32(7)
    y = run1("FC", [x, w, b], consts=(1, 2), axis=2)
    assert y.shape == (2, 3, 7)
    np.testing.assert_allclose(y, (x.reshape(6, 20) @ w.reshape(7, 20).T + b).reshape(2, 3, 7), **TOL)
    w2 = f32(7, 2, 20)  # axis_w 2: N = 14
    y = run1("FC", [x, w2, f32(14)], consts=(1, 2), axis=2, axis_w=2)
    assert y.shape == (2, 3, 14)


def test_fc_transposed():
    x, w, b = f32(4, 6), f32(6, 3), f32(3)
    np.testing.assert_allclose(run1("FCTransposed", [x, w, b], consts=(1, 2)), x @ w + b, **TOL)
    np.testing.assert_allclose(run1("FCTransposed", [x, w, b]), x @ w + b, **TOL)


def test_matmul_and_batch_matmul():
    a, b = f32(3, 4), f32(5, 4)
    np.testing.assert_allclose(run1("MatMul", [a, b], trans_b=1), a @ b.T, **TOL)
    a3 = f32(2, 3, 4)  # axis_a 1 -> [2, 12]
    np.testing.assert_allclose(run1("MatMul", [a3, f32(12, 2) * 0 + 1]), a3.reshape(2, 12) @ np.ones((12, 2)), **TOL)
    x, y = f32(2, 3, 4), f32(2, 5, 4)
    np.testing.assert_allclose(run1("BatchMatMul", [x, y], trans_b=1), np.einsum("bij,bkj->bik", x, y), **TOL)
    np.testing.assert_allclose(run1("BatchMatMul", [x, f32(4, 6)[None]], broadcast=1).shape, (2, 3, 6))


@pytest.mark.parametrize("kw, w_shape, x_shape, msg", [
    ({"axis_w": 3}, (5, 4), (2, 4), "axis_w 3 is out of range for a 2-D weight"),
    ({"axis": 2}, (5, 4), (2, 4), "axis 2 is out of range for a 2-D input"),
])
def test_fc_axis_out_of_range_is_refused(kw, w_shape, x_shape, msg):
    """Caffe2 enforces the axes; a 2-D weight with axis_w 3 ran as axis_w 1 (3 % 2) and the
    ONNX export of the same net failed with a Gemm shape error."""
    from c2core.errors import C2Error

    with pytest.raises(C2Error, match=msg):
        run1("FC", [np.ones(x_shape, np.float32), np.ones(w_shape, np.float32), np.zeros(5, np.float32)], **kw)
    w4 = np.arange(20, dtype=np.float32).reshape(1, 1, 5, 4)  # Caffe's 4-D blob, read at axis_w=3
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    y = run1("FC", [x, w4, np.zeros(5, np.float32)], axis_w=3)
    np.testing.assert_allclose(y, x @ w4.reshape(5, 4).T, rtol=1e-6)
