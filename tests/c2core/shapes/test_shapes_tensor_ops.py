"""Shape rules of FC, matmuls, tensor manipulation, reductions and normalization.

Each expectation is worked out by hand from the Caffe2 operator definition
quoted in the test name or comment.
"""

import pytest

from shapes_helpers import infer_one, shape1


def test_fc_axis_2():
    # Y = X.shape[:axis] + [N]; W is N x K with K = prod(X.shape[axis:])
    assert shape1("FC", ["X", "W", "b"], {"X": (2, 3, 4, 5)}, {"W": (6, 20), "b": (6,)}, axis=2) == (2, 3, 6)


def test_fc_4d_weight_axis_w_3():
    # Caffe-translated nets: W [1, 1, N, K], axis_w=3 -> N = 1*1*N
    out = shape1("FC", ["X", "W", "b"], {"X": (1, 1024, 1, 1)}, {"W": (1, 1, 1000, 1024), "b": (1000,)}, axis_w=3)
    assert out == (1, 1000)


def test_fc_transposed_and_mismatch():
    assert shape1("FCTransposed", ["X", "W", "b"], {"X": (2, 3, 4, 5)}, {"W": (20, 6), "b": (6,)}, axis=2) == (2, 3, 6)
    assert shape1("FC", ["X", "W", "b"], {"X": (2, 7)}, {"W": (6, 20), "b": (6,)}) is None


def test_matmuls():
    assert shape1("MatMul", ["A", "B"], {"A": (3, 4), "B": (4, 5)}) == (3, 5)
    assert shape1("MatMul", ["A", "B"], {"A": (4, 3), "B": (5, 4)}, trans_a=1, trans_b=1) == (3, 5)
    assert shape1("BatchMatMul", ["A", "B"], {"A": (2, 3, 4), "B": (2, 4, 5)}) == (2, 3, 5)
    assert shape1("BatchMatMul", ["A", "B"], {"A": (2, 3, 4), "B": (2, 5, 4)}, trans_b=1) == (2, 3, 5)
    assert shape1("BatchMatMul", ["A", "B"], {"A": (7, 2, 3, 4), "B": (4, 5)}, broadcast=1) == (7, 2, 3, 5)


def test_concat_and_split_info():
    outs = infer_one("Concat", ["a", "b", "c"], ["y", "split"], {"a": (1, 2, 4, 4), "b": (1, 3, 4, 4), "c": (1, 5, 4, 4)})
    assert outs[0].shape == (1, 10, 4, 4) and outs[0].dtype == "float32"
    assert outs[1].shape == (3,) and outs[1].dtype == "int32"


def test_concat_variants():
    assert shape1("Concat", ["a", "b"], {"a": (1, 4, 4, 2), "b": (1, 4, 4, 3)}, order="NHWC") == (1, 4, 4, 5)
    assert shape1("Concat", ["a", "b"], {"a": (2, 3), "b": (2, 3)}, axis=0, add_axis=1) == (2, 2, 3)
    assert shape1("Concat", ["a", "b"], {"a": (2, 3), "b": (2, 4)}, axis=-1) == (2, 7)
    assert shape1("Concat", ["a", "b"], {"a": (1, 2, 4, 4), "b": (1, 2, 5, 4)}) is None


def test_split():
    outs = infer_one("Split", ["x"], ["a", "b", "c"], {"x": (1, 6, 4)})
    assert [o.shape for o in outs] == [(1, 2, 4)] * 3
    outs = infer_one("Split", ["x"], ["a", "b"], {"x": (1, 6, 4)}, split=[1, 5])
    assert [o.shape for o in outs] == [(1, 1, 4), (1, 5, 4)]


@pytest.mark.parametrize(
    "x, spec, expected",
    [
        ((2, 3, 4), [0, -1], (2, 12)),
        ((2, 3, 4), [0, 0, -1, 2], (2, 3, 2, 2)),
        ((2, 3, 4), [-1], (24,)),
        ((2, 3, 4), [4, 6], (4, 6)),
        ((2, 3, 4), [5, -1], None),
        ((2, 3, 4), [5, 5], None),
    ],
)
def test_reshape(x, spec, expected):
    outs = infer_one("Reshape", ["x"], ["y", "old"], {"x": x}, shape=spec)
    assert outs[0].shape == expected
    if expected is not None:
        assert outs[1].shape == (len(x),) and outs[1].dtype == "int64"


def test_reshape_from_second_input_is_rank_only():
    outs = infer_one("Reshape", ["x", "s"], ["y", "old"], {"x": (2, 3, 4)}, {"s": (3,)}, {"s": "int64"})
    assert outs[0].shape == (-1, -1, -1) and not outs[0].known


def test_flatten_transpose_squeeze_expand():
    assert shape1("Flatten", ["x"], {"x": (2, 3, 4, 5)}, axis=2) == (6, 20)
    assert shape1("Flatten", ["x"], {"x": (2, 3, 4, 5)}) == (2, 60)
    assert shape1("FlattenToVec", ["x"], {"x": (2, 3, 4)}) == (24,)
    assert shape1("Transpose", ["x"], {"x": (2, 3, 4)}) == (4, 3, 2)
    assert shape1("Transpose", ["x"], {"x": (2, 3, 4, 5)}, axes=[0, 2, 3, 1]) == (2, 4, 5, 3)
    assert shape1("Squeeze", ["x"], {"x": (1, 3, 1, 4)}, dims=[0, 2]) == (3, 4)
    assert shape1("Squeeze", ["x"], {"x": (2, 3)}, dims=[0]) is None
    assert shape1("ExpandDims", ["x"], {"x": (3, 4)}, dims=[0, 3]) == (1, 3, 4, 1)
    assert shape1("NCHW2NHWC", ["x"], {"x": (1, 3, 5, 7)}) == (1, 5, 7, 3)
    assert shape1("NHWC2NCHW", ["x"], {"x": (1, 5, 7, 3)}) == (1, 3, 5, 7)


def test_slice_gather():
    # Caffe2 Slice: negative bounds count from dim + 1 (end -1 = to the end)
    assert shape1("Slice", ["x"], {"x": (4, 6, 8)}, starts=[1, 0, 2], ends=[3, -1, -3]) == (2, 6, 4)
    assert shape1("Slice", ["x"], {"x": (4, 6)}, starts=[1], ends=[3]) == (2, 6)
    assert shape1("Gather", ["d", "i"], {"d": (5, 3), "i": (2, 4)}) == (2, 4, 3)
    assert shape1("Gather", ["d", "i"], {"d": (5, 3, 2), "i": (4,)}, axis=1) == (5, 4, 2)


def test_cast_shape_argmax_dtypes():
    out = infer_one("Cast", ["x"], ["y"], {"x": (2, 3)}, to=10)[0]
    assert out.shape == (2, 3) and out.dtype == "int64"
    assert infer_one("Cast", ["x"], ["y"], {"x": (2, 3)}, to=2)[0].dtype == "int32"
    out = infer_one("Shape", ["x"], ["y"], {"x": (2, 3, 4, 5)})[0]
    assert out.shape == (4,) and out.dtype == "int64"
    out = infer_one("ArgMax", ["x"], ["y"], {"x": (2, 3, 4)}, axis=1, keepdims=0)[0]
    assert out.shape == (2, 4) and out.dtype == "int64"
    assert shape1("ArgMin", ["x"], {"x": (2, 3, 4)}) == (2, 3, 1)  # axis -1, keepdims 1 by default


def test_reductions():
    assert shape1("ReduceMean", ["x"], {"x": (2, 3, 4, 5)}, axes=[2, 3], keepdims=0) == (2, 3)
    assert shape1("ReduceSum", ["x"], {"x": (2, 3, 4, 5)}) == (1, 1, 1, 1)
    assert shape1("ReduceMax", ["x"], {"x": (2, 3, 4)}, axes=[-1]) == (2, 3, 1)
    assert shape1("ReduceFrontSum", ["x"], {"x": (2, 3, 4)}) == (3, 4)
    assert shape1("ReduceBackMean", ["x"], {"x": (2, 3, 4)}, num_reduce_dim=2) == (2,)


def test_elementwise_broadcast():
    # legacy broadcast=1: result has A's shape
    assert shape1("Add", ["a", "b"], {"a": (1, 3, 4, 4), "b": (3,)}, broadcast=1, axis=1) == (1, 3, 4, 4)
    assert shape1("Mul", ["a", "b"], {"a": (2, 1, 4), "b": (3, 1)}) == (2, 3, 4)
    assert shape1("Sub", ["a", "b"], {"a": (2, 3), "b": (4,)}) is None
    out = infer_one("GT", ["a", "b"], ["y"], {"a": (2, 3), "b": (3,)})[0]
    assert out.shape == (2, 3) and out.dtype == "bool"
    assert shape1("Sum", ["a", "b", "c"], {"a": (2, 3), "b": (2, 3), "c": (2, 3)}) == (2, 3)
    assert shape1("Where", ["c", "a", "b"], {"c": (2, 3), "a": (2, 3), "b": (2, 3)}) == (2, 3)
    assert infer_one("Not", ["a"], ["y"], {"a": (4,)})[0].dtype == "bool"


def test_resize_and_pad():
    assert shape1("ResizeNearest", ["x"], {"x": (1, 3, 5, 7)}, width_scale=2.0, height_scale=2.0) == (1, 3, 10, 14)
    assert shape1("ResizeNearest", ["x"], {"x": (1, 5, 7, 3)}, width_scale=2.0, height_scale=1.5, order="NHWC") == (1, 7, 14, 3)
    assert shape1("UpsampleBilinear", ["x"], {"x": (1, 3, 5, 7)}, width_scale=3.0, height_scale=2.0) == (1, 3, 10, 21)
    assert shape1("PadImage", ["x"], {"x": (1, 3, 5, 7)}, pad=2) == (1, 3, 9, 11)
    assert shape1("PadImage", ["x"], {"x": (1, 3, 5, 7)}, pad_t=1, pad_l=2, pad_b=3, pad_r=4) == (1, 3, 9, 13)
    assert shape1("ChannelShuffle", ["x"], {"x": (1, 6, 5, 7)}, group=2) == (1, 6, 5, 7)


def test_normalization_outputs():
    x = {"x": (2, 6, 5, 7)}
    outs = infer_one("SpatialBN", ["x", "s", "b", "m", "v"], ["y"], x, {k: (6,) for k in "sbmv"}, is_test=1)
    assert outs[0].shape == (2, 6, 5, 7)
    outs = infer_one("SpatialBN", ["x", "s", "b", "m", "v"], ["y", "rm", "rv", "sm", "sv"], x, {k: (6,) for k in "sbmv"})
    assert [o.shape for o in outs[1:]] == [(6,)] * 4
    outs = infer_one("LRN", ["x"], ["y", "scale"], x, size=5, alpha=1e-4, beta=0.75)
    assert outs[0].shape == outs[1].shape == (2, 6, 5, 7)
    outs = infer_one("LayerNorm", ["x"], ["y", "mean", "std"], {"x": (2, 3, 4)}, axis=2)
    assert [o.shape for o in outs] == [(2, 3, 4), (2, 3, 1), (2, 3, 1)]
    outs = infer_one("InstanceNorm", ["x", "s", "b"], ["y", "mean", "istd"], x, {"s": (6,), "b": (6,)})
    assert [o.shape for o in outs] == [(2, 6, 5, 7), (2, 6), (2, 6)]
    outs = infer_one("GroupNorm", ["x", "g", "b"], ["y", "mean", "isig"], x, {"g": (6,), "b": (6,)}, group=3)
    assert [o.shape for o in outs] == [(2, 6, 5, 7), (2, 3), (2, 3)]
    outs = infer_one("Dropout", ["x"], ["y", "mask"], x, ratio=0.5, is_test=1)
    assert outs[0].shape == outs[1].shape == (2, 6, 5, 7) and outs[1].dtype == "bool"
    assert shape1("Softmax", ["x"], x) == (2, 6, 5, 7)
