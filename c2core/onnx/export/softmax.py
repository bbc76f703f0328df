"""Softmax and LogSoftmax with Caffe2's 2-D coercion.

Caffe2 flattens X to [prod(dims[:axis]), prod(dims[axis:])] and normalises each
row: an N x C x H x W input with axis=1 is normalised over all of C*H*W. ONNX
Softmax from opset 13 normalises one axis only, so unless `axis` is already the
last axis the export is Flatten(axis) -> Softmax(axis=1) -> Reshape(Shape(X)).
"""

from __future__ import annotations

from .registry import register


@register("Softmax", "LogSoftmax")
def softmax(ctx, op, args):
    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    axis = args.int("axis")
    axis = axis + r if axis < 0 else axis
    out = ctx.output(op.output[0])
    if axis == r - 1:
        ctx.node1(op.type, [x], out, axis=-1)
    else:
        flat = ctx.node1("Flatten", [x], axis=axis)
        y = ctx.node1(op.type, [flat], axis=1)
        ctx.node1("Reshape", [y, ctx.shape_of(x)], out)
        ctx.types[out] = ctx.types[x]  # same shape as X (inference cannot see through Shape at opset < 15)
    ctx.bind(op.output[0], out)
