"""Reshape / Flatten / Transpose / Squeeze / ExpandDims / Shape / layout
switches / Concat / Split / Slice / Gather / Copy-likes / Dropout / Cast.
All exact (bitwise) comparisons with NumPy equivalents."""

import numpy as np

from tests.c2core.ops._run_op import run1, run_op

rng = np.random.default_rng(7)
X = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)


def test_reshape_from_argument_and_input_with_old_shape():
    y, old = run_op("Reshape", [X], n_out=2, shape=[0, -1, 5])
    np.testing.assert_array_equal(y, X.reshape(2, 12, 5))
    np.testing.assert_array_equal(old, [2, 3, 4, 5])
    assert old.dtype == np.int64
    y = run1("Reshape", [X, np.array([6, 20], np.int64)])
    np.testing.assert_array_equal(y, X.reshape(6, 20))


def test_flatten_variants_transpose_squeeze_expand():
    np.testing.assert_array_equal(run1("Flatten", [X]), X.reshape(2, 60))
    np.testing.assert_array_equal(run1("Flatten", [X], axis=2), X.reshape(6, 20))
    np.testing.assert_array_equal(run1("FlattenToVec", [X]), X.reshape(-1))
    np.testing.assert_array_equal(run1("Transpose", [X]), X.transpose(3, 2, 1, 0))
    np.testing.assert_array_equal(run1("Transpose", [X], axes=[0, 2, 3, 1]), X.transpose(0, 2, 3, 1))
    x1 = X[:, :1, :, None]
    np.testing.assert_array_equal(run1("Squeeze", [x1], dims=[1, 3]), X[:, 0])
    np.testing.assert_array_equal(run1("ExpandDims", [X], dims=[0, 3]), X[None, :, :, None])
    np.testing.assert_array_equal(run1("Shape", [X]), [2, 3, 4, 5])
    np.testing.assert_array_equal(run1("NCHW2NHWC", [X]), X.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(run1("NHWC2NCHW", [X]), X.transpose(0, 3, 1, 2))


def test_concat_split_info_order_and_add_axis():
    b = rng.standard_normal((2, 5, 4, 5)).astype(np.float32)
    y, info = run_op("Concat", [X, b], n_out=2)
    np.testing.assert_array_equal(y, np.concatenate([X, b], axis=1))
    np.testing.assert_array_equal(info, [3, 5])
    assert info.dtype == np.int32
    xn, bn = X.transpose(0, 2, 3, 1).copy(), b.transpose(0, 2, 3, 1).copy()
    np.testing.assert_array_equal(run1("Concat", [xn, bn], order="NHWC"), np.concatenate([xn, bn], axis=3))
    y, info = run_op("Concat", [X, X], n_out=2, axis=0, add_axis=1)
    np.testing.assert_array_equal(y, np.stack([X, X]))
    np.testing.assert_array_equal(info, [1, 1])


def test_split_by_argument_input_equal_and_add_axis():
    a, b = run_op("Split", [X], n_out=2, axis=3, split=[2, 3])
    np.testing.assert_array_equal(a, X[..., :2])
    np.testing.assert_array_equal(b, X[..., 2:])
    a, b, c = run_op("Split", [X, np.array([1, 1, 1], np.int32)], n_out=3)
    np.testing.assert_array_equal(c, X[:, 2:3])
    parts = run_op("Split", [X], n_out=2, axis=2)
    np.testing.assert_array_equal(parts[1], X[:, :, 2:])
    parts = run_op("Split", [X], n_out=3, axis=1, add_axis=1)
    np.testing.assert_array_equal(parts[0], X[:, 0])


def test_slice_negative_ends_and_inputs():
    np.testing.assert_array_equal(run1("Slice", [X], starts=[0, 1], ends=[-1, 3]), X[:, 1:3])
    np.testing.assert_array_equal(run1("Slice", [X], starts=[1, 0, 0, 2], ends=[2, -1, -2, -1]), X[1:2, :, :3, 2:])
    np.testing.assert_array_equal(run1("Slice", [X, np.array([0, 0, 1], np.int64), np.array([-1, 2, 3], np.int64)]), X[:, :2, 1:3])


def test_gather_axis_and_index_shapes():
    idx = np.array([[1, 0], [1, 1]], np.int64)
    np.testing.assert_array_equal(run1("Gather", [X, idx]), X[idx])
    np.testing.assert_array_equal(run1("Gather", [X, np.array([3, 0], np.int32)], axis=2), X[:, :, [3, 0]])


def test_dropout_copy_alias_cast():
    y, mask = run_op("Dropout", [X], n_out=2, ratio=0.5, is_test=1)
    np.testing.assert_array_equal(y, X)  # no rescaling at test time
    assert mask.dtype == np.bool_ and mask.all()
    for op in ("Copy", "Alias", "StopGradient", "EnsureCPUOutput"):
        np.testing.assert_array_equal(run1(op, [X]), X)
    np.testing.assert_array_equal(run1("Cast", [X * 3], to=2), (X * 3).astype(np.int32))  # truncation
    np.testing.assert_array_equal(run1("Cast", [X], to="INT64"), X.astype(np.int64))
    assert run1("Cast", [np.array([1, 0], np.int32)], to=1).dtype == np.float32
