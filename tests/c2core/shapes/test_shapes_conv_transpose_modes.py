"""ConvTranspose output sizes under `legacy_pad`, `adj` and `dilation` (Caffe2's ConvTransposeUnpoolBase).

Expected sizes are written out by hand from Caffe2's ComputeSizeAndPad for
ConvTranspose: NOTSET (in - 1) * stride + kernel + adj - pad_head - pad_tail;
VALID and SAME (in - 1) * stride + kernel + adj with the pads forced to zero;
`dilation` is never read. Nets Caffe2 refuses (pads with VALID/SAME,
legacy_pad 3, adj > stride) leave the output shape unknown, and the shared
rule names the reason.
"""

import pytest

from c2core.args import Args
from c2core.conv_transpose_pads import conv_transpose_pads, ignored_dilation
from shapes_helpers import shape1

X = {"X": (1, 3, 5, 6)}
W = {"W": (3, 8, 3, 3)}


def convt(shapes=X, weights=W, **args):
    return shape1("ConvTranspose", ["X", "W"], shapes, weights, **args)


@pytest.mark.parametrize("args, expected", [
    # VALID and SAME are identical: 4*2+3 = 11, 5*2+3 = 13
    (dict(kernel=3, stride=2, legacy_pad=1), (1, 8, 11, 13)),
    (dict(kernel=3, stride=2, legacy_pad=2), (1, 8, 11, 13)),
    # adj at the tail: 4*2+3+1 = 12, 5*2+3+2 = 15 (adj == stride is allowed)
    (dict(kernel=3, stride=2, adj_h=1, adj_w=2, legacy_pad=2), (1, 8, 12, 15)),
    # strides (3, 1): 4*3+3 = 15, 5*1+3+1 = 9
    (dict(kernel=3, strides=[3, 1], adjs=[0, 1], legacy_pad=1), (1, 8, 15, 9)),
    # NOTSET with uneven pads t,l,b,r = 1,0,2,1 and adj 2: 4*2+3+2-3 = 10, 5*2+3+2-1 = 14
    (dict(kernel=3, stride=2, pads=[1, 0, 2, 1], adj=2), (1, 8, 10, 14)),
    # dilation is ignored: same as kernel=3, stride=2, pad=1 -> 4*2+3-2 = 9, 5*2+3-2 = 11
    (dict(kernel=3, stride=2, pad=1, dilation=3), (1, 8, 9, 11)),
])
def test_sizes(args, expected):
    assert convt(**args) == expected


def test_nhwc_legacy_same_and_int8():
    out = shape1("ConvTranspose", ["X", "W"], {"X": (1, 5, 6, 3)}, {"W": (3, 3, 3, 4)}, kernel=3, stride=2, adj=1,
                 legacy_pad=2, order="NHWC")
    assert out == (1, 12, 14, 4)
    out = shape1("Int8ConvTranspose", ["X", "W"], {"X": (1, 5, 6, 3)}, {"W": (3, 3, 3, 4)}, kernel=3, stride=2,
                 legacy_pad=1, order="NHWC", Y_scale=0.1, Y_zero_point=0)
    assert out == (1, 11, 13, 4)


@pytest.mark.parametrize("args, match", [
    (dict(legacy_pad=1, pad=1), "explicit pads"),
    (dict(legacy_pad=2, pad_t=0, pad_l=0, pad_b=1, pad_r=1), "explicit pads"),
    (dict(legacy_pad=3), "CAFFE_LEGACY_POOLING"),
    (dict(adj=3), "adj 3"),
    (dict(pads=[0, -1, 0, 0]), "negative pads"),
])
def test_refused_like_caffe2(args, match):
    full = dict(kernel=3, stride=2, **args)
    assert convt(**full) is None
    with pytest.raises(ValueError, match=match):
        conv_transpose_pads(Args(full, "ConvTranspose"), 2)


def test_shared_rule_values():
    assert conv_transpose_pads(Args(dict(stride=2, adj=1, legacy_pad=1), "ConvTranspose"), 2) == ([2, 2], [0, 0, 0, 0], [1, 1])
    assert conv_transpose_pads(Args(dict(strides=[2, 3], pad_t=1, pad_l=2, pad_b=3, pad_r=4, adjs=[0, 3]), "ConvTranspose"), 2) == \
        ([2, 3], [1, 2, 3, 4], [0, 3])
    assert ignored_dilation(Args(dict(dilation=2), "ConvTranspose"), 2) and not ignored_dilation(Args({}, "ConvTranspose"), 2)
