"""SpatialBN, LRN, AffineChannel.

SpatialBN at inference (`is_test=1`): Y = (X - mean) / sqrt(var + epsilon) * scale
+ bias, which is ONNX BatchNormalization with the same epsilon (Caffe2 default
1e-5). Training-mode SpatialBN (batch statistics, extra outputs) is refused.
LRN: Caffe2 divides by (bias + alpha/size * sum of squares)^beta over `size`
channels centred on c, as ONNX LRN does; its optional second output (the
scale) is refused when something reads it.
"""

from __future__ import annotations

from ...errors import C2Error
from .conv import channel_first
from .layout import order
from .registry import exporter


@exporter("SpatialBN")
def spatial_bn(ctx, op, args):
    if not args.int("is_test", 0) and len(op.output) > 1:
        raise C2Error("training-mode SpatialBN (is_test=0, running statistics outputs) cannot be exported for inference")
    params = [ctx.input(b) for b in op.input[1:5]]
    eps = args.float("epsilon", 1e-5)

    def build(x, out):
        return ctx.node1("BatchNormalization", [x] + params, out, epsilon=eps)

    channel_first(ctx, op, args, build)


@exporter("LRN")
def lrn(ctx, op, args):
    size = args.int("size", 0)
    if size <= 0 or size % 2 == 0:
        raise C2Error(f"LRN size {size}: Caffe2 centres an odd window; an even size has no exact ONNX form")
    if len(op.output) > 1 and ctx.used_later(op.output[1]):
        raise C2Error("LRN's second output (scale) is read by a later op; ONNX LRN does not produce it")

    def build(x, out):
        return ctx.node1("LRN", [x], out, size=size, alpha=args.float("alpha", 0.0),
                         beta=args.float("beta", 0.0), bias=args.float("bias", 1.0))

    channel_first(ctx, op, args, build)


@exporter("AffineChannel")
def affine_channel(ctx, op, args):
    """Y = X * scale[c] + bias[c] along the channel axis (NCHW axis 1, NHWC last)."""
    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    nhwc = order(args) == "NHWC"
    scale, bias = (ctx.input(b) for b in op.input[1:3])
    if not nhwc:
        scale = ctx.unsqueeze(scale, list(range(1, r - 1)))
        bias = ctx.unsqueeze(bias, list(range(1, r - 1)))
    out = ctx.output(op.output[0])
    ctx.node1("Add", [ctx.node1("Mul", [x, scale]), bias], out)
    ctx.bind(op.output[0], out)

