"""Weight bias correction: the per-channel output shift from int8 weight rounding, checked against a
brute-force NumPy circular convolution (circular, so every tap sees each input channel's exact mean)."""

from __future__ import annotations

import numpy as np
import pytest

from c2core.quantize.bias_correction import weight_rounding_shift


def _circular_conv(x, w, group):
    """x (I, H, W), w (O, I/group, kh, kw) -> (O, H, W), wrap-around borders, plain loops."""
    out_ch, per_in, kh, kw = w.shape
    per_out = out_ch // group
    y = np.zeros((out_ch,) + x.shape[1:])
    for o in range(out_ch):
        g = o // per_out
        for i in range(per_in):
            for a in range(kh):
                for b in range(kw):
                    y[o] += w[o, i, a, b] * np.roll(x[g * per_in + i], (-a, -b), axis=(0, 1))
    return y


@pytest.mark.parametrize("in_ch,out_ch,group", [(3, 4, 1), (6, 6, 6), (4, 6, 2)])
def test_shift_equals_mean_output_difference(in_ch, out_ch, group):
    rng = np.random.default_rng(in_ch * 10 + group)
    w = rng.normal(0, 0.3, (out_ch, in_ch // group, 3, 3))
    scale = np.abs(w).reshape(out_ch, -1).max(1) / 127  # per-channel symmetric int8, as ORT's quantizer does
    wq = np.round(w / scale[:, None, None, None]) * scale[:, None, None, None]
    x = rng.uniform(0, 6, (in_ch, 7, 9)) + np.arange(in_ch)[:, None, None]  # channel means differ
    ref = (_circular_conv(x, wq, group) - _circular_conv(x, w, group)).mean((1, 2))
    got = weight_rounding_shift(w, wq, x.mean((1, 2)), group)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    assert np.abs(ref).max() > 1e-4  # the rounding really shifts the mean


def test_no_rounding_no_shift():
    w = np.ones((2, 3, 1, 1))
    assert np.array_equal(weight_rounding_shift(w, w, np.array([1.0, 2.0, 3.0])), np.zeros(2))
