"""SpatialBN, LRN, AffineChannel, InstanceNorm, LayerNorm, GroupNorm.

SpatialBN at inference (`is_test=1`): Y = (X - mean) / sqrt(var + epsilon) * scale
+ bias, which is ONNX BatchNormalization with the same epsilon (Caffe2 default
1e-5). Training-mode SpatialBN (batch statistics, extra outputs) is refused.
LRN: Caffe2 divides by (bias + alpha/size * sum of squares)^beta over `size`
channels centred on c, as ONNX LRN does; its optional second output (the
scale) is refused when something reads it.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from .conv import channel_first
from .layout import order
from .registry import register


@register("SpatialBN")
def spatial_bn(ctx, op, args):
    if not args.int("is_test") and len(op.output) > 1:
        raise C2Error("training-mode SpatialBN (is_test=0, running statistics outputs) cannot be exported for inference")
    params = [ctx.input(b) for b in op.input[1:5]]
    eps = args.float("epsilon")

    def build(x, out):
        return ctx.node1("BatchNormalization", [x] + params, out, epsilon=eps)

    channel_first(ctx, op, args, build)


@register("LRN")
def lrn(ctx, op, args):
    size = args.int("size")
    if size <= 0 or size % 2 == 0:
        raise C2Error(f"LRN size {size}: Caffe2 centres an odd window; an even size has no exact ONNX form")
    if len(op.output) > 1 and ctx.used_later(op.output[1]):
        raise C2Error("LRN's second output (scale) is read by a later op; ONNX LRN does not produce it")

    def build(x, out):
        return ctx.node1("LRN", [x], out, size=size, alpha=args.float("alpha"),
                         beta=args.float("beta"), bias=args.float("bias"))

    channel_first(ctx, op, args, build)


@register("AffineChannel")
def affine_channel(ctx, op, args):
    """Y = X * scale[c] + bias[c] along the channel axis (NCHW axis 1, NHWC last)."""
    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    nhwc = order(args) == "NHWC"
    scale, bias = (ctx.input(b) for b in op.input[1:3])
    if not nhwc:
        scale = ctx.unsqueeze(scale, list(range(1, r - 1)))
        bias = ctx.unsqueeze(bias, list(range(1, r - 1)))
    ctx.write(op.output[0], "Add", [ctx.node1("Mul", [x, scale]), bias])



@register("InstanceNorm")
def instance_norm(ctx, op, args):
    """Per sample and channel over the spatial axes, biased variance: ONNX InstanceNormalization."""
    if len(op.output) > 1 and any(ctx.used_later(b) for b in op.output[1:]):
        raise C2Error("InstanceNorm's saved mean / inverse std outputs are read later; not exported")
    scale, bias = ctx.input(op.input[1]), ctx.input(op.input[2])
    eps = args.float("epsilon")

    def build(x, out):
        return ctx.node1("InstanceNormalization", [x, scale, bias], out, epsilon=eps)

    channel_first(ctx, op, args, build)


@register("LayerNorm")
def layer_norm(ctx, op, args):
    """Caffe2 LayerNorm normalises over axes [axis, rank) with std = sqrt(var + eps);
    outputs Y, mean and std (the last two shaped X.shape[:axis] + [1]). Written as
    ReduceMean arithmetic so every opset (13+) gets all three outputs."""
    from .reduce import reduce

    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    axis = args.int("axis") % r
    eps = args.float("epsilon")
    axes = list(range(axis, r))
    mean = reduce(ctx, "ReduceMean", x, axes, True)
    d = ctx.node1("Sub", [x, mean])
    var = reduce(ctx, "ReduceMean", ctx.node1("Mul", [d, d]), axes, True)
    std = ctx.node1("Sqrt", [ctx.node1("Add", [var, ctx.const(np.float32(eps), "eps")])])
    y = ctx.node1("Div", [d, std])
    if args.int("elementwise_affine"):
        y = ctx.node1("Add", [ctx.node1("Mul", [y, ctx.input(op.input[1])]), ctx.input(op.input[2])])
    ctx.write(op.output[0], "Identity", [y])
    for k, t in ((1, mean), (2, std)):
        if len(op.output) > k and ctx.used_later(op.output[k]):
            shape = ctx.node1("Concat", [ctx.shape_of(x, 0, axis), ctx.ints([1])], axis=0)
            o = ctx.output(op.output[k])
            ctx.node1("Reshape", [t, shape], o)
            ctx.set_type(o, ctx.elem_type(x), ctx.shape(x)[:axis] + [1])
            ctx.bind(op.output[k], o)


@register("GroupNorm")
def group_norm(ctx, op, args):
    """Caffe2 GroupNorm: channels split into `group` groups (default 32); each sample's
    group is normalised with its biased variance and `epsilon` (1e-5), then scaled by
    gamma[c] and shifted by beta[c]. Written as Reshape/ReduceMean arithmetic (ONNX
    GroupNormalization-18 has per-group scale, and -21 is not in every opset here)."""
    from .reduce import reduce

    if len(op.output) > 1 and any(ctx.used_later(b) for b in op.output[1:]):
        raise C2Error("GroupNorm's mean / inverse std outputs are read later; not exported")
    g = args.int("group")
    eps = args.float("epsilon")
    gamma, beta = ctx.input(op.input[1]), ctx.input(op.input[2])

    def build(x, out):
        r = ctx.rank(x)
        c = ctx.shape(x)[1]
        if not isinstance(c, int) or c % g:
            raise C2Error(f"GroupNorm: {c} channels do not split into {g} groups")
        grouped = ctx.node1("Reshape", [x, ctx.ints([0, g, -1])])
        mean = reduce(ctx, "ReduceMean", grouped, [2], True)
        d = ctx.node1("Sub", [grouped, mean])
        var = reduce(ctx, "ReduceMean", ctx.node1("Mul", [d, d]), [2], True)
        y = ctx.node1("Div", [d, ctx.node1("Sqrt", [ctx.node1("Add", [var, ctx.const(np.float32(eps), "eps")])])])
        y = ctx.node1("Reshape", [y, ctx.shape_of(x)])
        ctx.types[y] = ctx.types[x]
        axes = list(range(1, r - 1))
        y = ctx.node1("Mul", [y, ctx.unsqueeze(gamma, axes)])
        return ctx.node1("Add", [y, ctx.unsqueeze(beta, axes)], out)

    channel_first(ctx, op, args, build)
