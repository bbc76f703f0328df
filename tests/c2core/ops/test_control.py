"""If / While / IsEmpty / Size and the logic ops, run through the Predictor.

Each net is built with the builder and compared with the NumPy result of the
branch or loop Caffe2 would execute (exact: integer counters, and float
sums of a few terms computed in the same order).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _b2_helpers import call_op
from c2core.builder import NetBuilder, model_from
from c2core.errors import C2RuntimeError


def predictor(net, weights):
    from c2core.runtime import Predictor

    return Predictor(model_from(net, weights))


def sub(name, ops, outputs=()):
    b = NetBuilder(name)
    for op_type, ins, outs, kw in ops:
        b.op(op_type, ins, outs, **kw)
    b.outputs(*outputs)
    return b.net


def test_is_empty_and_size():
    assert call_op("IsEmpty", [torch.zeros(0, 3)]).item() is True
    e = call_op("IsEmpty", [torch.zeros(2, 3)])
    assert e.dtype == torch.bool and e.shape == () and e.item() is False
    s = call_op("Size", [torch.zeros(2, 3, 4)])
    assert s.dtype == torch.int64 and s.shape == () and s.item() == 24


def test_logic_ops():
    a, b = torch.tensor([1, 2, 3]), torch.tensor([2, 2, 2])
    assert call_op("LT", [a, b]).tolist() == [True, False, False]
    assert call_op("GE", [a, b]).tolist() == [False, True, True]
    assert call_op("EQ", [a, b]).tolist() == [False, True, False]
    m = torch.tensor([[1, 5], [7, 0]])
    assert call_op("GT", [m, torch.tensor([3, 4])], broadcast=1, axis=0).tolist() == [[False, True], [True, False]]
    t, f = torch.tensor([True, True, False]), torch.tensor([True, False, False])
    assert call_op("And", [t, f]).tolist() == [True, False, False]
    assert call_op("Or", [t, f]).tolist() == [True, True, False]
    assert call_op("Xor", [t, f]).tolist() == [False, True, False]
    assert call_op("Not", [f]).tolist() == [False, True, True]


def if_net():
    """y = x * w (then) or -x (else); `r = Relu(x)` is read by the then-branch
    without being an input of the If op (it comes from the enclosing net)."""
    then_net = sub("then", [("Mul", ["x", "w"], ["t"], {}), ("Add", ["t", "r"], ["y"], {})], ["y"])
    else_net = sub("else", [("Negative", ["x"], ["y"], {})], ["y"])
    b = NetBuilder("if_test")
    b.op("Relu", ["x"], ["r"])
    b.op("If", ["cond", "x"], ["y"], then_net=then_net, else_net=else_net)
    b.inputs("cond", "x", "w").outputs("y")
    return b.net


def test_if_picks_branch_by_condition():
    w = np.array([2.0, -3.0, 0.5], np.float32)
    p = predictor(if_net(), {"w": w})
    x = np.array([1.5, -2.0, 4.0], np.float32)
    y_then = p.run({"cond": np.array(True), "x": x})["y"]
    np.testing.assert_array_equal(y_then, x * w + np.maximum(x, 0))
    y_else = p.run({"cond": np.array(False), "x": x})["y"]
    np.testing.assert_array_equal(y_else, -x)


def test_if_without_else_keeps_inplace_output():
    then_net = sub("then", [("Mul", ["x", "x"], ["x"], {})], ["x"])
    b = NetBuilder("if_inplace")
    b.op("If", ["cond", "x"], ["x"], then_net=then_net)
    b.op("Add", ["x", "w"], ["y"])
    b.inputs("cond", "x", "w").outputs("y")
    p = predictor(b.net, {"w": np.zeros(2, np.float32)})
    x = np.array([3.0, -2.0], np.float32)
    np.testing.assert_array_equal(p.run({"cond": np.array(True), "x": x})["y"], x * x)
    np.testing.assert_array_equal(p.run({"cond": np.array(False), "x": x})["y"], x)


def test_if_rejects_non_bool_condition():
    p = predictor(if_net(), {"w": np.ones(3, np.float32)})
    with pytest.raises(C2RuntimeError, match="bool"):
        p.run({"cond": np.array(1.0, np.float32), "x": np.ones(3, np.float32)})


def while_net(with_cond_net: bool):
    """acc = x; i = 0; while i < n: acc += x; i += 1."""
    body = [("Add", ["acc", "x"], ["acc"], {}), ("Add", ["i", "one"], ["i"], {})]
    cond_ops = [("LT", ["i", "n"], ["cond"], {})]
    kw = {}
    if with_cond_net:
        kw["cond_net"] = sub("cond", cond_ops, ["cond"])
        loop = sub("loop", body, ["acc", "i"])
    else:
        loop = sub("loop", body + cond_ops, ["acc", "i", "cond"])
    b = NetBuilder("while_test")
    b.op("Copy", ["x"], ["acc"])
    b.op("LT", ["i", "n"], ["cond"])
    b.op("While", ["cond", "i", "n", "acc", "x", "one"], ["i", "acc"], loop_net=loop, **kw)
    b.inputs("x", "n", "i", "one").outputs("acc", "i")
    return b.net


@pytest.mark.parametrize("with_cond_net", [True, False])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_while_loops_until_condition_false(with_cond_net, n):
    p = predictor(while_net(with_cond_net), {"i": np.array(0, np.int64), "one": np.array(1, np.int64)})
    x = np.array([0.5, -1.25, 2.0], np.float32)
    out = p.run({"x": x, "n": np.array(n, np.int64)})
    expect = x.copy()
    for _ in range(n):
        expect = expect + x
    np.testing.assert_array_equal(out["acc"], expect)
    assert out["i"].shape == () and out["i"] == n  # a 0-d counter stays 0-d


def test_if_condition_must_be_single_value():
    p = predictor(if_net(), {"w": np.ones(3, np.float32)})
    with pytest.raises(C2RuntimeError, match="single value"):
        p.run({"cond": np.array([True, False]), "x": np.ones(3, np.float32)})
