"""Prepare-time rewrites: which ops fold or fuse, and that results match
NumPy references (conv by loops from tests/c2core/ops/test_conv.py;
tolerance 1e-4)."""

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.runtime import Predictor
from c2core.runtime.fold import fold_net
from tests.c2core.ops.test_conv import conv_ref

rng = np.random.default_rng(13)
ACTS = {
    "Relu": ({}, lambda y: np.maximum(y, 0)),
    "Swish": ({}, lambda y: y / (1 + np.exp(-y))),
    "Sigmoid": ({}, lambda y: 1 / (1 + np.exp(-y))),
    "Tanh": ({}, np.tanh),
    "Clip": ({"min": 0.0, "max": 6.0}, lambda y: np.clip(y, 0, 6)),
}


@pytest.mark.parametrize("act", list(ACTS))
@pytest.mark.parametrize("conv_args,pads", [({"pad": 1}, (1, 1, 1, 1)), ({"pads": [0, 1, 2, 1]}, (0, 1, 2, 1))])
def test_conv_activation_fusion_matches_reference(act, conv_args, pads):
    args, fn = ACTS[act]
    b = NetBuilder("f")
    b.inputs("data", "w", "b")
    b.op("Conv", ["data", "w", "b"], "c", kernel=3, **conv_args)
    b.op(act, "c", "c", **args)
    b.outputs("c")
    w = {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 2, "b": rng.standard_normal(4).astype(np.float32)}
    x = rng.standard_normal((1, 3, 6, 7)).astype(np.float32)
    p = Predictor(model_from(b.net, w))
    assert [op.type for op in p._plan_for(frozenset(), False).net.op] == ["Conv"]
    np.testing.assert_allclose(p.run([x])["c"], fn(conv_ref(x, w["w"], w["b"], pads=pads)), rtol=1e-4, atol=1e-4)


def test_nhwc_conv_bn_relu_chain_folds_and_fuses():
    b = NetBuilder("n")
    b.inputs("data", "w", "s", "bi", "m", "v")
    b.op("Conv", ["data", "w"], "c", kernel=3, order="NHWC")
    b.op("SpatialBN", ["c", "s", "bi", "m", "v"], "bn", is_test=1, order="NHWC", epsilon=1e-4)
    b.op("Relu", "bn", "bn")
    b.outputs("bn")
    s, bi, m, v = (rng.random(5).astype(np.float32) + 0.5, rng.standard_normal(5).astype(np.float32),
                   rng.standard_normal(5).astype(np.float32), rng.random(5).astype(np.float32) + 0.5)
    wt = rng.standard_normal((5, 3, 3, 2)).astype(np.float32)  # M, kh, kw, C
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    p = Predictor(model_from(b.net, {"w": wt, "s": s, "bi": bi, "m": m, "v": v}))
    assert [op.type for op in p._plan_for(frozenset(), False).net.op] == ["Conv"]
    y = conv_ref(x.transpose(0, 3, 1, 2), wt.transpose(0, 3, 1, 2), None)
    y = (y - m.reshape(1, -1, 1, 1)) / np.sqrt(v.reshape(1, -1, 1, 1) + 1e-4) * s.reshape(1, -1, 1, 1) + bi.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(p.run([x])["bn"], np.maximum(y, 0).transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-4)


def _chain():
    b = NetBuilder("c")
    b.inputs("data", "w", "k")
    b.op("Conv", ["data", "w"], "c", kernel=1)
    b.op("Mul", ["c", "k"], "m", broadcast=1, axis=1)
    b.op("Relu", "m", "r")
    b.outputs("r")
    return b.net, {"w": np.ones((2, 2, 1, 1), np.float32), "k": np.array([2.0, 3.0], np.float32)}


def test_no_fold_or_fuse_across_protected_or_shared_blobs():
    net, w = _chain()
    _, _, log = fold_net(net, w)
    assert log == ["folded op #1 Mul into Conv 'c'", "fused op #1 Relu into Conv 'm'"]
    _, _, log = fold_net(net, w, protected={"c"})  # c is fetched: nothing may swallow it
    assert log == []
    _, _, log = fold_net(net, w, protected={"m"})
    assert log == ["folded op #1 Mul into Conv 'c'"]  # m stays visible: the Relu is not fused
    net2, w2 = _chain()
    extra = net2.op.add()  # a second reader of c blocks the fold
    extra.type, extra.input[:], extra.output[:] = "Relu", ["c"], ["c2"]
    _, _, log = fold_net(net2, w2)
    assert not any("Mul" in line for line in log)


def test_fold_keeps_shared_weights_intact():
    net, w = _chain()
    new_net, new_w, _ = fold_net(net, w)
    np.testing.assert_array_equal(new_w["w"], np.ones((2, 2, 1, 1)))  # original kept
    assert new_net.op[0].input[1] != "w"
    np.testing.assert_array_equal(new_w[new_net.op[0].input[1]][:, :, 0, 0], [[2, 2], [3, 3]])


def test_non_channel_mul_is_not_folded():
    b = NetBuilder("nc")
    b.inputs("data", "w", "k")
    b.op("Conv", ["data", "w"], "c", kernel=1)
    b.op("Mul", ["c", "k"], "m", broadcast=1)  # suffix-aligned over W: not per channel
    b.outputs("m")
    _, _, log = fold_net(b.net, {"w": np.ones((2, 2, 1, 1), np.float32), "k": np.arange(3, dtype=np.float32)})
    assert log == []


@pytest.mark.parametrize("act", ["Swish", "Clip"])
def test_attached_activation_with_legacy_padding(act):
    args, fn = ACTS[act]
    b = NetBuilder("f")
    b.inputs("data", "w")
    b.op("Conv", ["data", "w"], "c", kernel=3, legacy_pad=2, stride=2)
    b.op(act, "c", "y", **args)
    b.outputs("y")
    w = {"w": rng.standard_normal((2, 3, 3, 3)).astype(np.float32) * 3}
    x = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    p = Predictor(model_from(b.net, w))
    assert [op.type for op in p._plan_for(frozenset(), False).net.op] == ["Conv"]
    # SAME, stride 2 on 5: out 3, pad needed 2 -> (1, 1)
    np.testing.assert_allclose(p.run([x])["y"], fn(conv_ref(x, w["w"], None, (2, 2), (1, 1, 1, 1))), rtol=1e-4, atol=1e-4)


_K = {"k": np.zeros((2, 3), np.float32)}


def _dropout_net(mask_reader=False, mask_output=False):
    b = NetBuilder("d")
    b.inputs("data", "k")
    b.op("Add", ["data", "k"], "a")
    b.op("Relu", "a", "r")
    b.op("Dropout", "r", ["y", "mask"], ratio=0.5, is_test=1)
    outs = ["y"]
    if mask_reader:
        b.op("Cast", "mask", "m32", to=1)
        outs.append("m32")
    if mask_output:
        outs.append("mask")
    b.outputs(*outs)
    return b.net


@pytest.mark.parametrize("reader,output,dropped", [(False, False, True), (True, False, False), (False, True, False)])
def test_unused_dropout_mask_is_dropped(reader, output, dropped):
    net = _dropout_net(reader, output)
    new_net, _, log = fold_net(net, _K)
    drop = [op for op in new_net.op if op.type == "Dropout"][0]
    assert list(drop.output) == (["y"] if dropped else ["y", "mask"])
    assert bool(log) == dropped
    x = rng.standard_normal((2, 3)).astype(np.float32)
    res = Predictor(model_from(net, _K)).run([x])
    np.testing.assert_array_equal(res["y"], np.maximum(x, 0))
    if output:
        assert res["mask"].dtype == np.bool_ and res["mask"].all()


def test_fetched_dropout_mask_is_kept():
    p = Predictor(model_from(_dropout_net(), _K))
    x = rng.standard_normal((2, 3)).astype(np.float32)
    res = p.run([x], fetch=["mask"])
    assert res["mask"].shape == (2, 3) and res["mask"].all()
