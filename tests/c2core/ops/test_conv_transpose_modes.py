"""ConvTranspose `legacy_pad`, `adj` and `dilation` as Caffe2's ConvTransposeUnpoolBase defines them.

Caffe2 (conv_transpose_unpool_op_base.h): legacy_pad VALID (1) and SAME (2)
both force the pads to zero, out = (in - 1) * stride + kernel + adj; explicit
pads with VALID/SAME, legacy_pad 3, and adj outside [0, stride] are errors;
`dilation` is never read (Col2im runs undilated), so it changes nothing.

Reference: a naive scatter-add in float64, Full[n, m, i*s + kh, j*s + kw] +=
X[n, c, i, j] * W[c, m, kh, kw] (per group), zero-extended by adj at the
tail, cropped to [pad_head, pad_head + out), plus bias. Tolerance 1e-4 abs + rel.
"""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1

TOL = dict(rtol=1e-4, atol=1e-4)
rng = np.random.default_rng(7)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def scatter_ref(x, w, b, stride, pads, adj, group=1):
    n, c, h, wd = x.shape
    _, mg, kh, kw = w.shape
    cg = c // group
    fh = (h - 1) * stride[0] + kh + adj[0]
    fw = (wd - 1) * stride[1] + kw + adj[1]
    full = np.zeros((n, mg * group, fh, fw))
    for ci in range(c):
        g = ci // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for e in range(kw):
                        full[:, g * mg:(g + 1) * mg, i * stride[0] + a, j * stride[1] + e] += \
                            x[:, ci, i, j].astype(np.float64)[:, None] * w[ci, :, a, e][None]
    t, l, bo, r = pads
    y = full[:, :, t:fh - bo, l:fw - r]
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


@pytest.mark.parametrize("legacy", [1, 2])
@pytest.mark.parametrize("stride,adj", [((1, 1), (0, 0)), ((2, 2), (1, 0)), ((2, 3), (2, 3))])
def test_legacy_valid_same_zero_pads(legacy, stride, adj):
    x, w, b = f32(2, 4, 3, 4), f32(4, 3, 3, 2), f32(3)
    y = run1("ConvTranspose", [x, w, b], consts=(1, 2), kernels=[3, 2], strides=list(stride), adjs=list(adj),
             legacy_pad=legacy)
    ref = scatter_ref(x, w, b, stride, (0, 0, 0, 0), adj)
    assert y.shape == ref.shape == (2, 3, (3 - 1) * stride[0] + 3 + adj[0], (4 - 1) * stride[1] + 2 + adj[1])
    np.testing.assert_allclose(y, ref, **TOL)


def test_legacy_valid_nhwc_groups_and_fed_weight():
    x, w, b = f32(1, 4, 3, 3), f32(4, 2, 3, 3), f32(4)
    ref = scatter_ref(x, w, b, (2, 2), (0, 0, 0, 0), (1, 1), group=2)
    y = run1("ConvTranspose", [x.transpose(0, 2, 3, 1).copy(), w.transpose(0, 2, 3, 1).copy(), b],
             kernel=3, stride=2, adj=1, group=2, legacy_pad=2, order="NHWC")  # weights fed at run time
    np.testing.assert_allclose(y, ref.transpose(0, 2, 3, 1), **TOL)


@pytest.mark.parametrize("pads,adj", [((1, 0, 0, 2), (2, 2)), ((1, 1, 1, 1), (2, 1)), ((0, 0, 0, 0), (2, 2))])
def test_adj_equal_to_stride_with_pads(pads, adj):
    """Caffe2 allows adj == stride (torch's output_padding does not)."""
    x, w, b = f32(1, 3, 4, 3), f32(3, 2, 3, 3), f32(2)
    y = run1("ConvTranspose", [x, w, b], consts=(1, 2), kernel=3, stride=2, pads=list(pads), adjs=list(adj))
    np.testing.assert_allclose(y, scatter_ref(x, w, b, (2, 2), pads, adj), **TOL)


def test_dilation_is_ignored_like_caffe2():
    x, w, b = f32(1, 3, 4, 4), f32(3, 2, 3, 3), f32(2)
    y = run1("ConvTranspose", [x, w, b], consts=(1, 2), kernel=3, stride=2, pad=1, adj=1, dilation=2)
    np.testing.assert_allclose(y, scatter_ref(x, w, b, (2, 2), (1, 1, 1, 1), (1, 1)), **TOL)


@pytest.mark.parametrize("args,match", [
    (dict(legacy_pad=1, pad=1), "explicit pads"),
    (dict(legacy_pad=2, pads=[0, 0, 1, 1]), "explicit pads"),
    (dict(legacy_pad=3), "CAFFE_LEGACY_POOLING"),
    (dict(adj=3), "adj 3"),
])
def test_refused_like_caffe2(args, match):
    x, w = f32(1, 3, 4, 4), f32(3, 2, 3, 3)
    with pytest.raises(Exception, match=match):
        run1("ConvTranspose", [x, w], consts=(1,), kernel=3, stride=2, **args)
