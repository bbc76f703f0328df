"""The prepacked oneDNN convolution path (c2core/ops/_onednn.py) against the
loop reference of test_conv.py: unequal pads (the widened depthwise kernel and
the explicit pad), strides, groups, NHWC, fused Relu/Clip, and float64 weights
staying on the generic path.
Tolerance: 1e-4 absolute and relative on values of order 1-10."""

import numpy as np
import pytest
import torch

from c2core.ops import _onednn
from c2core.ops.registry import lookup
from tests.c2core.ops._run_op import run1
from tests.c2core.ops.test_conv import conv_ref

pytestmark = pytest.mark.skipif(not _onednn.available(), reason="torch has no oneDNN prepacked convolution")
rng = np.random.default_rng(7)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("c,m,group,k,stride,pads", [
    (6, 6, 6, 3, 2, (0, 0, 1, 1)),   # TF-SAME depthwise stride 2: kernel widened at the head
    (6, 6, 6, 5, 2, (1, 1, 2, 2)),
    (6, 6, 6, 3, 1, (2, 1, 0, 1)),   # head larger than tail on rows: widened at the tail
    (4, 6, 2, 3, 1, (0, 1, 1, 0)),   # grouped, not depthwise: explicit pad
    (3, 5, 1, 3, 2, (0, 0, 1, 1)),   # the stem case: explicit pad
    (5, 7, 1, 1, 1, (0, 0, 0, 0)),   # 1x1
])
def test_packed_conv_matches_reference(c, m, group, k, stride, pads):
    x, w, b = f32(2, c, 9, 8), f32(m, c // group, k, k), f32(m)
    y = run1("Conv", [x, w, b], consts=(1, 2), kernel=k, stride=stride, pads=list(pads), group=group)
    np.testing.assert_allclose(y, conv_ref(x, w, b, stride=(stride, stride), pads=pads, group=group), rtol=1e-4, atol=1e-4)


def test_widened_kernel_places_windows_like_caffe2():
    """PackedConv directly: its zero taps never change a value (finite inputs)."""
    x, w = f32(1, 4, 7, 7), f32(4, 1, 3, 3)
    pc = _onednn.PackedConv(torch.from_numpy(w), None, [0, 1, 1, 0], [2, 2], [1, 1], 4)
    assert pc.pre_pad is None and pc.pad == [1, 1]
    with torch.inference_mode():
        y = pc(torch.from_numpy(x).contiguous(memory_format=torch.channels_last))
    np.testing.assert_allclose(y.numpy(), conv_ref(x, w, None, stride=(2, 2), pads=(0, 1, 1, 0), group=4), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("act,args,fn", [
    ("Relu", {}, lambda v: np.maximum(v, 0)),
    ("Clip", {"min": 0.0, "max": 6.0}, lambda v: np.clip(v, 0, 6)),
])
def test_fused_activation_as_post_op(act, args, fn):
    from c2core.builder import NetBuilder, model_from
    from c2core.runtime import Predictor

    bld = NetBuilder("f")
    bld.inputs("data", "w", "b")
    bld.op("Conv", ["data", "w", "b"], "c", kernel=3, pads=[0, 0, 1, 1], stride=2, group=8)
    bld.op(act, "c", "c", **args)
    bld.outputs("c")
    w = {"w": f32(8, 1, 3, 3) * 3, "b": f32(8)}
    x = f32(1, 8, 10, 10)
    p = Predictor(model_from(bld.net, w))
    plan = p._plan_for(frozenset(), False)
    assert [op.type for op in plan.net.op] == ["Conv"]
    assert plan.steps[0][1].state.packed is not None and plan.steps[0][1].state.packed_post is None
    want = fn(conv_ref(x, w["w"], w["b"], stride=(2, 2), pads=(0, 0, 1, 1), group=8))
    np.testing.assert_allclose(p.run([x])["c"], want, rtol=1e-4, atol=1e-4)


def test_nhwc_packed_conv():
    x, w, b = f32(1, 6, 5, 4), f32(3, 3, 3, 4), f32(3)  # NHWC input, W [M, kh, kw, C]
    y = run1("Conv", [x, w, b], consts=(1, 2), kernel=3, pads=[0, 0, 1, 1], order="NHWC")
    want = conv_ref(x.transpose(0, 3, 1, 2), w.transpose(0, 3, 1, 2), b, pads=(0, 0, 1, 1)).transpose(0, 2, 3, 1)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)


def test_float64_weights_keep_the_generic_path():
    from c2core.args import Args
    from c2core.builder import NetBuilder
    from c2core.ops.registry import OpContext

    bld = NetBuilder("d")
    bld.op("Conv", ["x", "w", "b"], "y", kernel=3, pads=[0, 0, 1, 1], group=2, __c2core_act="hardtanh", __c2core_act_scalars=[0.0, 1.0])
    op = bld.net.op[0]
    w, b = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2)
    spec = lookup("Conv")
    ctx = OpContext(op=op, args=Args(op.arg, op.type), index=0, consts=(None, torch.from_numpy(w), torch.from_numpy(b)))
    ctx.state = spec.prepare(ctx)
    assert ctx.state.packed is None
    x = rng.standard_normal((1, 2, 5, 5))
    y = spec.kernel(ctx, torch.from_numpy(x), None, None)
    want = np.clip(conv_ref(x, w, b, pads=(0, 0, 1, 1), group=2), 0, 1)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("act,args,fn", [
    (None, {}, lambda v: v),
    ("Relu", {}, lambda v: np.maximum(v, 0)),
    ("Clip", {"min": -0.5, "max": 0.5}, lambda v: np.clip(v, -0.5, 0.5)),
    ("Sigmoid", {}, lambda v: 1 / (1 + np.exp(-v))),
])
def test_1x1_conv_on_pooled_map_uses_matrix_product(act, args, fn):
    """Squeeze-excite shape: global pool, then 1x1 convs on [N, C, 1, 1]."""
    from c2core.builder import NetBuilder, model_from
    from c2core.runtime import Predictor

    bld = NetBuilder("se")
    bld.inputs("data", "w", "b")
    bld.op("AveragePool", "data", "p", global_pooling=1, kernel=1)
    bld.op("Conv", ["p", "w", "b"], "c", kernel=1)
    if act:
        bld.op(act, "c", "c", **args)
    bld.outputs("c")
    w = {"w": f32(5, 12, 1, 1), "b": f32(5)}
    x = f32(3, 12, 4, 4)
    p = Predictor(model_from(bld.net, w))
    conv = [st[1].state for st in p._plan_for(frozenset(), False).steps if st[1].op.type == "Conv"][0]
    assert conv.packed is not None and conv.packed.mat is not None
    pooled = x.mean(axis=(2, 3), keepdims=True)
    want = fn(conv_ref(pooled, w["w"], w["b"]))
    np.testing.assert_allclose(p.run([x])["c"], want, rtol=1e-5, atol=1e-5)
