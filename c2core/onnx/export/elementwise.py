"""Binary and n-ary element-wise ops.

Caffe2's legacy broadcast (`broadcast=1`) aligns B's dims with A's starting at
`axis` (`axis=-1`, the default, means suffix alignment; `axis_str` names the
axis by letter in `order`). NumPy/ONNX broadcasting aligns suffixes, so for an
explicit axis B gets trailing singleton dims (rank(A) - axis - rank(B) of
them): folded into the constant when B is a weight, an Unsqueeze otherwise.
Without `broadcast=1` Caffe2's newer elementwise ops broadcast NumPy-style,
which ONNX does as is.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from .registry import register

_BINARY = {
    "Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow",
    "LT": "Less", "LE": "LessOrEqual", "GT": "Greater", "GE": "GreaterOrEqual", "EQ": "Equal",
    "And": "And", "Or": "Or", "Xor": "Xor",
}


def legacy_aligned(ctx, a: str, b: str, args) -> str:
    """B reshaped so that NumPy broadcasting puts it at Caffe2's `axis` of A."""
    if not args.int("broadcast"):
        return b
    ra, rb = ctx.rank(a), ctx.rank(b)
    if "axis_str" in args:
        order = args.str("order").upper()
        letter = args.str("axis_str")
        if letter not in order or len(letter) != 1:
            raise C2Error(f"axis_str '{letter}' is not one of {order}")
        axis = order.index(letter)
    else:
        axis = args.int("axis")
    if axis == -1:
        axis = ra - rb
    if axis < 0 or axis + rb > ra:
        raise C2Error(f"legacy broadcast: B of rank {rb} does not fit A of rank {ra} at axis {axis}")
    trailing = ra - axis - rb
    if trailing == 0:
        return b
    return ctx.unsqueeze(b, list(range(rb, rb + trailing)))


@register(*_BINARY)
def binary(ctx, op, args):
    a = ctx.input(op.input[0])
    if op.type == "Pow" and len(op.input) == 1:
        b = ctx.const(np.float32(args.float("exponent", 1.0)), "exponent")
    else:
        b = legacy_aligned(ctx, a, ctx.input(op.input[1]), args)
    ctx.write(op.output[0], _BINARY[op.type], [a, b])


@register("NE")
def not_equal(ctx, op, args):
    a = ctx.input(op.input[0])
    b = legacy_aligned(ctx, a, ctx.input(op.input[1]), args)
    ctx.write(op.output[0], "Not", [ctx.node1("Equal", [a, b])])


@register("Sum", "Max", "Min", "Mean")
def nary(ctx, op, args):
    ins = [ctx.input(b) for b in op.input]
    out = ctx.output(op.output[0])
    if len(ins) == 1:
        ctx.node1("Identity", ins, out)
    else:
        ctx.node1(op.type, ins, out)
    ctx.bind(op.output[0], out)


@register("Scale")
def scale(ctx, op, args):
    x = ctx.input(op.input[0])
    ctx.write(op.output[0], "Mul", [x, ctx.const(np.float32(args.float("scale")), "scale")])
