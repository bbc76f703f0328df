"""Sub-nets share the workspace of the net that runs them (Caffe2 If/While).

Caffe2 creates If/While bodies in the op's own workspace: a body reads any
blob the enclosing nets hold, what it writes is visible afterwards, and a
blob it does not write keeps its previous value. Also: 0-d blobs stay 0-d.
Expected values are computed with NumPy in each test (exact: integer
counters and sums of a few floats in the same order).
"""

from __future__ import annotations

import numpy as np

from c2core.builder import NetBuilder, model_from
from c2core.model import Model
from c2core.proto import caffe2_pb2
from c2core.runtime import Predictor


def sub(name, ops):
    b = NetBuilder(name)
    for op_type, ins, outs in ops:
        b.op(op_type, ins, outs)
    return b.net


def test_zero_d_inputs_weights_and_outputs_keep_their_shape():
    b = NetBuilder("scalars")
    b.inputs("a", "k")
    b.op("Mul", ["a", "k"], "y")
    b.op("Add", ["a", "a"], "z")
    b.outputs("y", "z")
    p = Predictor(model_from(b.net, {"k": np.array(3.0, np.float32)}))
    out = p.run({"a": np.array(2.5, np.float32)})
    assert out["y"].shape == () and out["y"] == np.float32(7.5)
    assert out["z"].shape == () and out["z"] == np.float32(5.0)


def counter_loop_net(i_is_output: bool):
    """while i < n: i += 1 — `i` is not a While input; the body reads it from
    the enclosing net before rewriting it."""
    loop = sub("loop", [("Add", ["i", "one"], "i"), ("LT", ["i", "n"], "cond")])
    b = NetBuilder("counter")
    b.inputs("n", "i", "one")
    b.op("LT", ["i", "n"], "cond")
    b.op("While", ["cond"], ["cond", "i"] if i_is_output else ["cond"], loop_net=loop)
    b.op("Add", ["i", "zero"], "final")  # reads the counter after the loop
    b.outputs("final")
    return b.net


def test_while_loop_counter_read_from_the_enclosing_net():
    weights = {"i": np.array(0, np.int64), "one": np.array(1, np.int64), "zero": np.array(0, np.int64)}
    for i_is_output in (True, False):  # written back even when not a declared output
        p = Predictor(model_from(counter_loop_net(i_is_output), weights))
        for n in (0, 1, 5):
            out = p.run({"n": np.array(n, np.int64)})["final"]
            assert out.shape == () and int(out) == n, (i_is_output, n)


def test_nested_sub_net_reads_a_blob_only_the_outermost_net_holds():
    """An If inside a While body reads `w`, which neither the While nor its
    body mentions: it comes from two workspaces up (a fed input, not a weight)."""
    then_net = sub("then", [("Mul", ["acc", "w"], "acc")])
    loop = NetBuilder("loop")
    loop.op("If", ["flag", "acc"], ["acc"], then_net=then_net)
    loop.op("Add", ["i", "one"], "i")
    loop.op("LT", ["i", "n"], "cond")
    b = NetBuilder("nested")
    b.inputs("x", "n", "i", "one", "flag", "w")
    b.op("Copy", "x", "acc")
    b.op("LT", ["i", "n"], "cond")
    b.op("While", ["cond", "acc"], ["cond", "acc"], loop_net=loop.net)
    b.outputs("acc")
    w = np.array([2.0, -0.5], np.float32)
    p = Predictor(model_from(b.net, {"i": np.array(0, np.int64), "one": np.array(1, np.int64)}))
    x = np.array([1.5, 4.0], np.float32)
    for flag in (True, False):
        out = p.run({"x": x, "n": np.array(3, np.int64), "flag": np.array([flag]), "w": w})["acc"]
        np.testing.assert_array_equal(out, x * w * w * w if flag else x)


def if_net(with_else: bool):
    """z = Tanh(x) before the If; then writes y and z, else writes y only."""
    then_net = sub("then", [("Relu", "x", "y"), ("Scale", "y", "z")])
    b = NetBuilder("if_keep")
    b.inputs("cond", "x")
    b.op("Tanh", "x", "z")
    b.op("Copy", "x", "y")
    kw = {"else_net": sub("else", [("Sigmoid", "x", "y")])} if with_else else {}
    b.op("If", ["cond", "x"], ["y", "z"], then_net=then_net, **kw)
    b.op("Add", ["y", "z"], "out")
    b.outputs("out", "y", "z")
    return b.net


def test_if_output_the_taken_branch_does_not_write_keeps_its_previous_value():
    x = np.array([[-1.0, 0.5, 2.0]], np.float32)
    for with_else in (True, False):
        p = Predictor(Model(predict_net=if_net(with_else), init_net=caffe2_pb2.NetDef()))
        got = p.run({"cond": np.array([False]), "x": x})
        y = 1 / (1 + np.exp(-x)) if with_else else x
        np.testing.assert_allclose(got["y"], y, rtol=0, atol=1e-6)
        np.testing.assert_allclose(got["z"], np.tanh(x), rtol=0, atol=1e-6)
        np.testing.assert_allclose(got["out"], y + np.tanh(x), rtol=0, atol=1e-6)
        got = p.run({"cond": np.array([True]), "x": x})
        np.testing.assert_array_equal(got["z"], np.maximum(x, 0))  # Scale's default scale is 1
        np.testing.assert_array_equal(got["out"], 2 * np.maximum(x, 0))
