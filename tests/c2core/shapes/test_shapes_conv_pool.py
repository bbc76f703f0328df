"""Conv and pooling output sizes for every Caffe2 argument spelling.

Expected sizes are computed by hand from Caffe2's ConvPoolOpBase formulas:
NOTSET floor((in + pad_head + pad_tail - dil*(k-1) - 1) / stride) + 1,
VALID floor((in - dk) / stride) + 1, SAME ceil(in / stride),
CAFFE_LEGACY_POOLING ceil((in + 2*pad - k) / stride) + 1 minus one when the
last window would start inside the padding.
"""

import pytest

from shapes_helpers import infer_one, shape1

X = {"X": (1, 3, 10, 12)}


def conv(weights=(4, 3, 3, 3), shapes=X, **args):
    return shape1("Conv", ["X", "W", "b"], shapes, {"W": weights, "b": (weights[0],)}, **args)


@pytest.mark.parametrize(
    "args, w, expected",
    [
        (dict(kernel=3), (4, 3, 3, 3), (1, 4, 8, 10)),
        (dict(kernels=[3, 5]), (4, 3, 3, 5), (1, 4, 8, 8)),
        (dict(kernel_h=3, kernel_w=5), (4, 3, 3, 5), (1, 4, 8, 8)),
        (dict(kernel=3, stride=2, pad=1), (4, 3, 3, 3), (1, 4, 5, 6)),
        (dict(kernel=3, strides=[2, 3], pads=[1, 0, 1, 0]), (4, 3, 3, 3), (1, 4, 5, 4)),
        (dict(kernel=3, stride_h=2, stride_w=1, pad_t=1, pad_b=0, pad_l=2, pad_r=2), (4, 3, 3, 3), (1, 4, 5, 14)),
        (dict(kernel=3, dilation=2), (4, 3, 3, 3), (1, 4, 6, 8)),
        (dict(kernel=3, dilations=[1, 2]), (4, 3, 3, 3), (1, 4, 8, 8)),
        (dict(kernel=3, group=3), (6, 1, 3, 3), (1, 6, 8, 10)),
        (dict(), (4, 3, 1, 1), (1, 4, 10, 12)),  # kernel taken from the filter
        (dict(kernel=3, stride=2, legacy_pad=1), (4, 3, 3, 3), (1, 4, 4, 5)),
        (dict(kernel=3, stride=2, legacy_pad=2), (4, 3, 3, 3), (1, 4, 5, 6)),
        (dict(kernel=3, stride=3, legacy_pad=2), (4, 3, 3, 3), (1, 4, 4, 4)),
    ],
)
def test_conv_spellings(args, w, expected):
    assert conv(w, **args) == expected


def test_conv_nhwc_filter_layout():
    # NHWC filter is [M, kH, kW, C]
    out = shape1("Conv", ["X", "W"], {"X": (1, 10, 12, 3)}, {"W": (4, 3, 3, 3)}, kernel=3, order="NHWC")
    assert out == (1, 8, 10, 4)


def test_conv_1d_and_3d():
    assert shape1("Conv", ["X", "W"], {"X": (1, 2, 9)}, {"W": (3, 2, 3)}, kernel=3, stride=2) == (1, 3, 4)
    assert shape1("Conv", ["X", "W"], {"X": (1, 2, 5, 6, 7)}, {"W": (3, 2, 3, 3, 3)}, kernel=3, pad=1) == (1, 3, 5, 6, 7)


def test_conv_channel_mismatch_is_unknown():
    assert conv((4, 2, 3, 3), kernel=3) is None


def test_conv_without_weights_keeps_spatial_sizes():
    # structure-only nets: channels unknown (-1), spatial sizes still computed
    assert shape1("Conv", ["X", "W", "b"], X, None, kernel=3, stride=2, pad=1) == (1, -1, 5, 6)


def test_conv_dtype_follows_input():
    out = infer_one("Conv", ["X", "W"], ["Y"], X, {"W": (4, 3, 3, 3)}, dtypes={"X": "float16"}, kernel=3)[0]
    assert out.dtype == "float16"


def test_conv_transpose():
    # (in - 1) * stride + kernel + adj - pad_head - pad_tail; filter [C, M, kH, kW]
    out = shape1("ConvTranspose", ["X", "W", "b"], {"X": (1, 3, 5, 6)}, {"W": (3, 8, 4, 4), "b": (8,)}, kernel=4, stride=2, pad=1)
    assert out == (1, 8, 10, 12)
    out = shape1("ConvTranspose", ["X", "W"], {"X": (1, 3, 5, 6)}, {"W": (3, 8, 3, 3)}, kernel=3, stride=2, adj=1)
    assert out == (1, 8, 12, 14)
    out = shape1("ConvTranspose", ["X", "W"], {"X": (1, 5, 6, 3)}, {"W": (3, 2, 2, 8)}, kernel=2, stride=2, order="NHWC")
    assert out == (1, 10, 12, 8)


P = {"X": (1, 2, 10, 10)}


@pytest.mark.parametrize(
    "op, args, x, expected",
    [
        ("MaxPool", dict(kernel=3, stride=2), (1, 2, 10, 10), (1, 2, 4, 4)),
        ("AveragePool", dict(kernel=2, stride=2), (1, 2, 10, 10), (1, 2, 5, 5)),
        ("MaxPool", dict(kernel=3, stride=2, pad=1), (1, 2, 10, 10), (1, 2, 5, 5)),
        ("AveragePool", dict(kernel=7, stride=1, pad_t=0, pad_l=0, pad_b=1, pad_r=1), (1, 2, 6, 6), (1, 2, 1, 1)),
        ("MaxPool", dict(kernels=[3, 2], strides=[1, 2]), (1, 2, 10, 10), (1, 2, 8, 5)),
        # legacy_pad=3: Caffe ceil mode
        ("MaxPool", dict(kernel=3, stride=2, legacy_pad=3), (1, 2, 112, 112), (1, 2, 56, 56)),
        ("MaxPool", dict(kernel=3, stride=2), (1, 2, 112, 112), (1, 2, 55, 55)),
        ("MaxPool", dict(kernel=3, stride=2, pad=1, legacy_pad=3), (1, 2, 6, 6), (1, 2, 4, 4)),
        # ceil gives 4 but the 4th window would start at 6 >= 5 + 1 (in the padding): trimmed to 3
        ("MaxPool", dict(kernel=2, stride=2, pad=1, legacy_pad=3), (1, 2, 5, 5), (1, 2, 3, 3)),
        ("AveragePool", dict(kernel=3, stride=2, legacy_pad=1), (1, 2, 10, 11), (1, 2, 4, 5)),
        ("AveragePool", dict(kernel=3, stride=2, legacy_pad=2), (1, 2, 10, 11), (1, 2, 5, 6)),
        ("AveragePool", dict(global_pooling=1), (1, 5, 7, 9), (1, 5, 1, 1)),
        ("AveragePool", dict(global_pooling=1, order="NHWC"), (1, 7, 9, 5), (1, 1, 1, 5)),
        ("MaxPool", dict(kernel=3, stride=2, order="NHWC"), (1, 10, 12, 4), (1, 4, 5, 4)),
        ("MaxPool1D", dict(kernel=3), (1, 2, 9), (1, 2, 7)),
        ("AveragePool3D", dict(kernel=2, stride=2), (1, 2, 4, 6, 8), (1, 2, 2, 3, 4)),
        ("LpPool", dict(kernel=2, stride=2, p=2.0), (1, 2, 10, 10), (1, 2, 5, 5)),
    ],
)
def test_pool(op, args, x, expected):
    assert shape1(op, ["X"], {"X": x}, **args) == expected


def test_pool_window_larger_than_input_is_unknown():
    assert shape1("MaxPool", ["X"], {"X": (1, 2, 2, 2)}, kernel=3) is None
