"""Conv / ConvTranspose against naive NumPy loops over output positions.

Reference: Y[n, m, oh, ow] = b[m] + Σ_{c in group, kh, kw} Xpad[n, c,
oh·s + kh·d, ow·s + kw·d] · W[m, c, kh, kw]. Tolerance: 1e-4 abs + rel
(float32 kernels against float64 sums).
"""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1

TOL = dict(rtol=1e-4, atol=1e-4)
rng = np.random.default_rng(1)


def conv_ref(x, w, b, stride=(1, 1), pads=(0, 0, 0, 0), dil=(1, 1), group=1):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    t, l, bo, r = pads
    xp = np.zeros((n, c, h + t + bo, wd + l + r))
    xp[:, :, t:t + h, l:l + wd] = x
    oh = (h + t + bo - (dil[0] * (kh - 1) + 1)) // stride[0] + 1
    ow = (wd + l + r - (dil[1] * (kw - 1) + 1)) // stride[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for i in range(oh):
        for j in range(ow):
            for mm in range(m):
                g = mm // mg
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                y[:, mm, i, j] = (patch * w[mm]).sum(axis=(1, 2, 3))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("args,stride,pads,dil", [
    (dict(kernel=3), (1, 1), (0, 0, 0, 0), (1, 1)),
    (dict(kernel=3, pad=1, stride=2), (2, 2), (1, 1, 1, 1), (1, 1)),
    (dict(kernels=[3, 2], strides=[2, 1], pads=[1, 0, 2, 1]), (2, 1), (1, 0, 2, 1), (1, 1)),
    (dict(kernel_h=3, kernel_w=2, stride_h=1, stride_w=2, pad_t=2, pad_l=1, pad_b=0, pad_r=1), (1, 2), (2, 1, 0, 1), (1, 1)),
    (dict(kernel=3, dilation=2, pad=2), (1, 1), (2, 2, 2, 2), (2, 2)),
    (dict(kernel=3, dilations=[1, 2]), (1, 1), (0, 0, 0, 0), (1, 2)),
    (dict(kernel=3, dilation_h=2, dilation_w=1, pad_t=1, pad_b=1), (1, 1), (1, 0, 1, 0), (2, 1)),
    # legacy_pad=3 on a 9x8 input: H ceil((9-3)/3)+1 = 3 = floor, no tail pad; W ceil((8-3)/2)+1 = 4
    # > floor 3, so the tail pad grows by stride·1 = 2 (zeros)
    (dict(kernel=3, strides=[3, 2], legacy_pad=3), (3, 2), (0, 0, 0, 2), (1, 1)),
])
def test_conv_argument_spellings(args, stride, pads, dil):
    x, b = f32(2, 4, 9, 8), f32(5)
    kh, kw = (3, 2) if args.get("kernels") == [3, 2] or args.get("kernel_w") == 2 else (3, 3)
    w = f32(5, 4, kh, kw)
    y = run1("Conv", [x, w, b], consts=(1, 2), **args)
    np.testing.assert_allclose(y, conv_ref(x, w, b, stride, pads, dil), **TOL)


def test_conv_group_and_depthwise_without_bias():
    x = f32(1, 6, 7, 7)
    w = f32(6, 2, 3, 3)
    y = run1("Conv", [x, w], consts=(1,), kernel=3, group=3, pad=1)
    np.testing.assert_allclose(y, conv_ref(x, w, None, pads=(1, 1, 1, 1), group=3), **TOL)
    wd = f32(6, 1, 3, 3)
    y = run1("Conv", [x, wd], consts=(1,), kernel=3, group=6, stride=2)
    np.testing.assert_allclose(y, conv_ref(x, wd, None, stride=(2, 2), group=6), **TOL)


def test_conv_nhwc_layout():
    x = f32(2, 4, 6, 5)  # NCHW reference data
    w = f32(3, 4, 3, 3)
    b = f32(3)
    ref = conv_ref(x, w, b, pads=(1, 1, 1, 1))
    y = run1("Conv", [x.transpose(0, 2, 3, 1).copy(), w.transpose(0, 2, 3, 1).copy(), b], consts=(1, 2),
             kernel=3, pad=1, order="NHWC")
    np.testing.assert_allclose(y, ref.transpose(0, 2, 3, 1), **TOL)


def test_conv_weight_fed_at_run_time():
    x, w, b = f32(1, 2, 5, 5), f32(3, 2, 3, 3), f32(3)
    y = run1("Conv", [x, w, b], kernel=3)
    np.testing.assert_allclose(y, conv_ref(x, w, b), **TOL)


def test_conv_legacy_pad_same_and_valid():
    x, w = f32(1, 2, 7, 6), f32(2, 2, 3, 3)
    # SAME, stride 2: out = ceil(in/2); pad_needed = (out-1)*2 + 3 - in, head gets the smaller half.
    y = run1("Conv", [x, w], consts=(1,), kernel=3, stride=2, legacy_pad=2)
    # H: out 4, needed 2 -> (1, 1); W: out 3, needed 1 -> (0, 1)
    np.testing.assert_allclose(y, conv_ref(x, w, None, (2, 2), (1, 0, 1, 1)), **TOL)
    y = run1("Conv", [x, w], consts=(1,), kernel=3, pad=5, legacy_pad=1)  # VALID ignores pads
    np.testing.assert_allclose(y, conv_ref(x, w, None), **TOL)


def test_conv1d_and_conv3d():
    x, w = f32(2, 3, 10), f32(4, 3, 3)
    y = run1("Conv", [x, w], consts=(1,), kernels=[3], strides=[2], pads=[1, 0])
    ref = conv_ref(x[:, :, None, :], w[:, :, None, :], None, (1, 2), (0, 1, 0, 0))[:, :, 0, :]
    np.testing.assert_allclose(y, ref, **TOL)
    x3, w3 = f32(1, 2, 4, 5, 5), f32(3, 2, 2, 3, 3)
    y3 = run1("Conv", [x3, w3], consts=(1,), kernels=[2, 3, 3])
    ref3 = np.zeros((1, 3, 3, 3, 3))
    for d in range(3):  # a 3-D conv is a sum of 2-D convs over kernel depth
        for kd in range(2):
            ref3[:, :, d] += conv_ref(x3[:, :, d + kd], w3[:, :, kd], None)
    np.testing.assert_allclose(y3, ref3, **TOL)


def convt_ref(x, w, b, stride, pads, adj, group=1):
    """Scatter form: each input pixel adds W·x into the full output, then crop."""
    n, c, h, wd = x.shape
    _, mg, kh, kw = w.shape
    m = mg * group
    fh, fw = (h - 1) * stride[0] + kh + adj[0], (wd - 1) * stride[1] + kw + adj[1]
    full = np.zeros((n, m, fh, fw))
    cg = c // group
    for i in range(h):
        for j in range(wd):
            for ci in range(c):
                g = ci // cg
                full[:, g * mg:(g + 1) * mg, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw] += \
                    x[:, ci, i, j][:, None, None, None] * w[ci][None]
    t, l, bo, r = pads
    y = full[:, :, t:fh - bo, l:fw - r]
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


@pytest.mark.parametrize("args,stride,pads,adj", [
    (dict(kernel=3, stride=2), (2, 2), (0, 0, 0, 0), (0, 0)),
    (dict(kernel=4, stride=2, pad=1), (2, 2), (1, 1, 1, 1), (0, 0)),
    (dict(kernel=3, stride=2, pad=1, adj=1), (2, 2), (1, 1, 1, 1), (1, 1)),
    (dict(kernel=3, strides=[2, 3], pads=[0, 1, 2, 0], adj_h=1, adj_w=2), (2, 3), (0, 1, 2, 0), (1, 2)),
])
def test_conv_transpose(args, stride, pads, adj):
    x, w, b = f32(1, 4, 4, 3), f32(4, 2, 3 if args.get("kernel") != 4 else 4, 3 if args.get("kernel") != 4 else 4), f32(2)
    y = run1("ConvTranspose", [x, w, b], consts=(1, 2), **args)
    np.testing.assert_allclose(y, convt_ref(x, w, b, stride, pads, adj), **TOL)


def test_conv_transpose_groups_and_nhwc():
    x, w, b = f32(1, 4, 3, 3), f32(4, 3, 2, 2), f32(6)
    y = run1("ConvTranspose", [x, w, b], consts=(1, 2), kernel=2, stride=2, group=2)
    np.testing.assert_allclose(y, convt_ref(x, w, b, (2, 2), (0, 0, 0, 0), (0, 0), group=2), **TOL)
    w1 = f32(4, 3, 3, 3)
    ref = convt_ref(x, w1, None, (1, 1), (1, 1, 1, 1), (0, 0))
    y = run1("ConvTranspose", [x.transpose(0, 2, 3, 1).copy(), w1.transpose(0, 2, 3, 1).copy()], consts=(1,),
             kernel=3, pad=1, order="NHWC")
    np.testing.assert_allclose(y, ref.transpose(0, 2, 3, 1), **TOL)
