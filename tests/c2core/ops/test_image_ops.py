"""ResizeNearest / UpsampleBilinear / PadImage / ChannelShuffle / reductions /
ArgMax / fills, against NumPy index arithmetic (exact unless stated)."""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1

rng = np.random.default_rng(8)
X = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)


def test_resize_nearest_integer_and_fractional_scales():
    y = run1("ResizeNearest", [X], height_scale=2.0, width_scale=2.0)
    np.testing.assert_array_equal(y, X.repeat(2, axis=2).repeat(2, axis=3))
    y = run1("ResizeNearest", [X], height_scale=1.5, width_scale=0.6)
    oh, ow = int(4 * 1.5), int(5 * 0.6)
    rows = np.minimum((np.arange(oh) / 1.5).astype(int), 3)
    cols = np.minimum((np.arange(ow) / 0.6).astype(int), 4)
    np.testing.assert_array_equal(y, X[:, :, rows][:, :, :, cols])
    xn = X.transpose(0, 2, 3, 1).copy()
    y = run1("ResizeNearest", [xn], height_scale=2.0, width_scale=3.0, order="NHWC")
    np.testing.assert_array_equal(y, xn.repeat(2, axis=1).repeat(3, axis=2))


def bilinear_ref(x, oh, ow):
    n, c, h, w = x.shape
    rh = (h - 1) / (oh - 1) if oh > 1 else 0.0
    rw = (w - 1) / (ow - 1) if ow > 1 else 0.0
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        hr = rh * i
        h0 = int(hr)
        hp = 1 if h0 < h - 1 else 0
        lh = hr - h0
        for j in range(ow):
            wr = rw * j
            w0 = int(wr)
            wp = 1 if w0 < w - 1 else 0
            lw = wr - w0
            y[:, :, i, j] = ((1 - lh) * ((1 - lw) * x[:, :, h0, w0] + lw * x[:, :, h0, w0 + wp])
                             + lh * ((1 - lw) * x[:, :, h0 + hp, w0] + lw * x[:, :, h0 + hp, w0 + wp]))
    return y


def test_upsample_bilinear_align_corners_rule():
    y = run1("UpsampleBilinear", [X], height_scale=2.0, width_scale=1.5)
    assert y.shape == (2, 3, 8, 7)
    np.testing.assert_allclose(y, bilinear_ref(X, 8, 7), rtol=1e-5, atol=1e-5)
    y = run1("UpsampleBilinear", [X, np.array([3.0, 2.0], np.float32)])
    np.testing.assert_allclose(y, bilinear_ref(X, 12, 10), rtol=1e-5, atol=1e-5)
    y = run1("Upsample", [X], height_scale=2.0, width_scale=2.0, mode="nearest")
    np.testing.assert_array_equal(y, X.repeat(2, axis=2).repeat(2, axis=3))


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("reflect", "reflect"), ("edge", "edge")])
def test_pad_image_modes(mode, np_mode):
    y = run1("PadImage", [X], pads=[1, 2, 3, 0], mode=mode, value=0.5)
    kw = {"constant_values": 0.5} if np_mode == "constant" else {}
    np.testing.assert_array_equal(y, np.pad(X, ((0, 0), (0, 0), (1, 3), (2, 0)), mode=np_mode, **kw))
    xn = X.transpose(0, 2, 3, 1).copy()
    y = run1("PadImage", [xn], pad=1, mode=mode, order="NHWC")
    kw = {"constant_values": 0.0} if np_mode == "constant" else {}
    np.testing.assert_array_equal(y, np.pad(xn, ((0, 0), (1, 1), (1, 1), (0, 0)), mode=np_mode, **kw))


def test_channel_shuffle():
    x = rng.standard_normal((1, 6, 2, 2)).astype(np.float32)
    y = run1("ChannelShuffle", [x], group=2)
    # output channel k*G + g <- input channel g*K + k  (G=2, K=3)
    order = [g * 3 + k for k in range(3) for g in range(2)]
    np.testing.assert_array_equal(y, x[:, order])
    y = run1("ChannelShuffle", [x.transpose(0, 2, 3, 1).copy()], group=3, order="NHWC")
    order = [g * 2 + k for k in range(2) for g in range(3)]
    np.testing.assert_array_equal(y, x[:, order].transpose(0, 2, 3, 1))


@pytest.mark.parametrize("op,fn", [("ReduceMean", np.mean), ("ReduceSum", np.sum), ("ReduceMax", np.max), ("ReduceMin", np.min)])
def test_reduce_axes_keepdims(op, fn):
    np.testing.assert_allclose(run1(op, [X], axes=[2, 3]), fn(X, axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run1(op, [X], axes=[1], keepdims=0), fn(X, axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run1(op, [X], keepdims=0), fn(X), rtol=1e-5, atol=1e-5)


def test_reduce_front_back_and_argmax():
    np.testing.assert_allclose(run1("ReduceFrontSum", [X]), X.sum(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(run1("ReduceBackMean", [X], num_reduce_dim=2), X.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run1("ReduceFrontMax", [X], num_reduce_dim=2), X.max(axis=(0, 1)))
    np.testing.assert_allclose(run1("ReduceBackMax", [X]), X.max(axis=3))
    a = run1("ArgMax", [X], axis=1)
    np.testing.assert_array_equal(a, X.argmax(axis=1)[:, None])
    assert a.dtype == np.int64
    np.testing.assert_array_equal(run1("ArgMax", [X], keepdims=0), X.argmax(axis=-1))


def test_fills_in_predict_net():
    y = run1("ConstantFill", [X], value=2.0)
    np.testing.assert_array_equal(y, np.full(X.shape, 2.0, np.float32))
    y = run1("ConstantFill", [np.array([2, 3], np.int64)], input_as_shape=1, value=7, dtype=10)
    np.testing.assert_array_equal(y, np.full((2, 3), 7, np.int64))

    def fill_only(op, **args):
        from c2core.builder import NetBuilder
        from c2core.model import Model
        from c2core.proto import caffe2_pb2
        from c2core.runtime import Predictor

        b = NetBuilder("f")
        b.inputs("x")
        b.op(op, [], ["y"], **args)
        b.op("Add", ["x", "y"], ["z"])
        b.outputs("z")
        return Predictor(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef())).run({"x": np.zeros((2, 2), np.float32)})["z"]

    np.testing.assert_array_equal(fill_only("GivenTensorFill", shape=[2, 2], values=[1.0, 2.0, 3.0, 4.0]), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(fill_only("ConstantFill", shape=[2, 2], value=1.5), np.full((2, 2), 1.5))
