"""MaxPool / AveragePool / LpPool against NumPy with explicit windows.

Reference: for each output (oh, ow) the window rows [oh·s - pad_t,
+ kernel) clipped to [0, H) (same for columns); max, mean over the clipped
window (or sum / kernel area with count_include_pad), or (Σ|x|^p)^(1/p).
Output sizes are written out by hand for the legacy_pad cases. Tolerance
1e-5 (1e-4 for LpPool).
"""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1

rng = np.random.default_rng(2)


def pool_ref(x, kind, k, s, pads, out, count_include_pad=False, p=2.0):
    n, c, h, w = x.shape
    t, l = pads[0], pads[1]
    y = np.zeros((n, c) + tuple(out))
    for i in range(out[0]):
        for j in range(out[1]):
            h0, w0 = i * s[0] - t, j * s[1] - l
            win = x[:, :, max(h0, 0):min(h0 + k[0], h), max(w0, 0):min(w0 + k[1], w)]
            if kind == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            elif kind == "avg":
                denom = k[0] * k[1] if count_include_pad else win.shape[2] * win.shape[3]
                y[:, :, i, j] = win.sum(axis=(2, 3)) / denom
            else:
                y[:, :, i, j] = (np.abs(win) ** p).sum(axis=(2, 3)) ** (1 / p)
    return y


X = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)


@pytest.mark.parametrize("op,kind", [("MaxPool", "max"), ("AveragePool", "avg"), ("MaxPool2D", "max"), ("AveragePool2D", "avg")])
def test_plain_windows(op, kind):
    y = run1(op, [X], kernel=3, stride=2)
    np.testing.assert_allclose(y, pool_ref(X, kind, (3, 3), (2, 2), (0, 0), (3, 2)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind,op", [("max", "MaxPool"), ("avg", "AveragePool")])
def test_padding_spellings_excluding_pad_from_average(kind, op):
    y = run1(op, [X], kernels=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1])
    # H: (7+2-3)//2+1 = 4; W: (6+0+1-2)//1+1 = 6
    np.testing.assert_allclose(y, pool_ref(X, kind, (3, 2), (2, 1), (1, 0), (4, 6)), rtol=1e-5, atol=1e-5)
    y = run1(op, [X], kernel_h=2, kernel_w=3, stride_h=1, stride_w=2, pad_t=1, pad_l=1, pad_b=0, pad_r=1)
    # H: (7+1-2)+1 = 7; W: (6+2-3)//2+1 = 3
    np.testing.assert_allclose(y, pool_ref(X, kind, (2, 3), (1, 2), (1, 1), (7, 3)), rtol=1e-5, atol=1e-5)


def test_average_count_include_pad_divides_by_kernel_area():
    y = run1("AveragePool", [X], kernel=3, stride=2, pad=1, count_include_pad=1)
    np.testing.assert_allclose(y, pool_ref(X, "avg", (3, 3), (2, 2), (1, 1), (4, 3), count_include_pad=True), rtol=1e-5, atol=1e-5)


def test_legacy_pad_3_is_caffe_ceil_mode():
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    # in 6, kernel 3, stride 2, pad 0: Caffe ceil((6-3)/2)+1 = 3 (Caffe2 floor would give 2);
    # the last window [4, 7) is clipped to [4, 6).
    for op, kind in (("MaxPool", "max"), ("AveragePool", "avg")):
        y = run1(op, [x], kernel=3, stride=2, legacy_pad=3)
        assert y.shape == (1, 2, 3, 3)
        np.testing.assert_allclose(y, pool_ref(x, kind, (3, 3), (2, 2), (0, 0), (3, 3)), rtol=1e-5, atol=1e-5)


def test_legacy_pad_3_trims_a_last_window_starting_in_the_padding():
    x = rng.standard_normal((1, 1, 5, 5)).astype(np.float32)
    # in 5, kernel 2, stride 3, pad 1: ceil((5+2-2)/3)+1 = 3, but window 3 would start at
    # 2·3-1 = 5 >= in: trimmed to 2 outputs.
    y = run1("MaxPool", [x], kernel=2, stride=3, pad=1, legacy_pad=3)
    assert y.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(y, pool_ref(x, "max", (2, 2), (3, 3), (1, 1), (2, 2)), rtol=1e-6)
    # SqueezeNet-style: 3x3/2 on 111 -> 55 and on 13 with pad 1 -> 7
    z = run1("MaxPool", [rng.standard_normal((1, 1, 13, 13)).astype(np.float32)], kernel=3, stride=2, pad=1, legacy_pad=3)
    assert z.shape == (1, 1, 7, 7)


def test_legacy_pad_valid_and_same():
    y = run1("MaxPool", [X], kernel=3, stride=2, pad=2, legacy_pad=1)  # VALID drops pads
    np.testing.assert_allclose(y, pool_ref(X, "max", (3, 3), (2, 2), (0, 0), (3, 2)), rtol=1e-6)
    y = run1("AveragePool", [X], kernel=3, stride=2, legacy_pad=2)
    # SAME: H out 4, needed (4-1)*2+3-7 = 2 -> head 1; W out 3, needed 1 -> head 0
    np.testing.assert_allclose(y, pool_ref(X, "avg", (3, 3), (2, 2), (1, 0), (4, 3)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool", "LpPool"])
def test_global_pooling_ignores_kernel(op):
    y = run1(op, [X], kernel=2, global_pooling=1, p=3.0)
    ref = {"MaxPool": X.max(axis=(2, 3)), "AveragePool": X.mean(axis=(2, 3)),
           "LpPool": (np.abs(X.astype(np.float64)) ** 3).sum(axis=(2, 3)) ** (1 / 3)}[op]
    np.testing.assert_allclose(y, ref[:, :, None, None], rtol=1e-5, atol=1e-5)


def test_lp_pool():
    y = run1("LpPool", [X], kernel=2, stride=2, pad=1, p=2.0)
    np.testing.assert_allclose(y, pool_ref(X, "lp", (2, 2), (2, 2), (1, 1), (4, 4)), rtol=1e-4, atol=1e-5)


def test_nhwc_pooling():
    xn = X.transpose(0, 2, 3, 1).copy()
    y = run1("MaxPool", [xn], kernel=3, stride=2, pad=1, order="NHWC")
    np.testing.assert_allclose(y, pool_ref(X, "max", (3, 3), (2, 2), (1, 1), (4, 3)).transpose(0, 2, 3, 1), rtol=1e-6)
    y = run1("AveragePool", [xn], kernel=3, stride=2, pad=1, order="NHWC", global_pooling=1)
    np.testing.assert_allclose(y[:, 0, 0, :], X.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)


def test_pool_1d_and_3d_aliases():
    x1 = rng.standard_normal((1, 2, 9)).astype(np.float32)
    y = run1("MaxPool1D", [x1], kernels=[3], strides=[2])
    ref = np.stack([x1[:, :, i * 2:i * 2 + 3].max(axis=2) for i in range(4)], axis=2)
    np.testing.assert_allclose(y, ref)
    x3 = rng.standard_normal((1, 2, 4, 4, 4)).astype(np.float32)
    y = run1("AveragePool3D", [x3], kernels=[2, 2, 2], strides=[2, 2, 2])
    ref = x3.reshape(1, 2, 2, 2, 2, 2, 2, 2).mean(axis=(3, 5, 7))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)


def test_legacy_pad_3_average_with_padding_divides_by_clipped_window():
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    # in 6, k 3, s 2, pad 1: ceil((6+2-3)/2)+1 = 4; the last window starts at row 5 and
    # holds a single row inside the image: it is averaged over that row only.
    y = run1("AveragePool", [x], kernel=3, stride=2, pad=1, legacy_pad=3)
    assert y.shape == (1, 2, 4, 4)
    np.testing.assert_allclose(y, pool_ref(x, "avg", (3, 3), (2, 2), (1, 1), (4, 4)), rtol=1e-5, atol=1e-6)
    # stride larger than the kernel without padding takes the explicit path
    x7 = rng.standard_normal((1, 1, 7, 7)).astype(np.float32)
    y = run1("MaxPool", [x7], kernel=2, stride=3, legacy_pad=3)
    np.testing.assert_allclose(y, pool_ref(x7, "max", (2, 2), (3, 3), (0, 0), (3, 3)))
