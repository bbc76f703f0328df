"""Moments (caffe2/operators/moments_op.cc), the worked example of
docs/ADDING_AN_OP.md: executor, shape rule and ONNX export each against a
NumPy reference (float64 mean and biased variance; rtol 1e-5)."""

import numpy as np
import pytest

from c2core.builder import NetBuilder
from c2core.model import Model
from c2core.proto import caffe2_pb2
from c2core.shapes import infer_shapes
from tests.c2core.onnx.test_export_ops import check
from tests.c2core.ops._run_op import run_op

X = np.random.default_rng(3).standard_normal((2, 3, 4, 5)).astype(np.float32)
CASES = [({}, None, True), ({"axes": [1]}, (1,), True), ({"axes": [2, 3], "keepdims": 0}, (2, 3), False),
         ({"axes": [-1]}, (-1,), True)]


def _ref(x, axes, keep):
    x = x.astype(np.float64)
    return x.mean(axis=axes, keepdims=keep), x.var(axis=axes, keepdims=keep)


@pytest.mark.parametrize("args,axes,keep", CASES)
def test_executor(args, axes, keep):
    mean, var = run_op("Moments", [X], n_out=2, **args)
    ref_mean, ref_var = _ref(X, axes, keep)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, ref_var, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("args,axes,keep", CASES)
def test_shape_rule(args, axes, keep):
    b = NetBuilder("m")
    b.inputs("x")
    b.op("Moments", "x", ["mean", "var"], **args)
    infos = infer_shapes(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef()), input_shapes={"x": X.shape})
    want = _ref(X, axes, keep)[0].shape
    assert infos["mean"].shape == infos["var"].shape == want


@pytest.mark.parametrize("args,axes,keep", CASES)
def test_onnx_export(args, axes, keep):
    check("Moments", {"x": X}, list(_ref(X, axes, keep)), n_out=2, **args)
