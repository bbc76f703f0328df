"""MatMul and BatchMatMul.

Caffe2 MatMul flattens A at `axis_a` and B at `axis_b` (default 1) to 2-D,
optionally transposes them (`trans_a`, `trans_b`) and multiplies.
BatchMatMul transposes the last two axes when asked and multiplies batch by
batch with NumPy broadcasting (`broadcast=1`; without it Caffe2 demands equal
batch dims, a subset of what ONNX MatMul accepts).
"""

from __future__ import annotations

from .registry import register


def _flat(ctx, t: str, axis: int) -> str:
    r = ctx.rank(t)
    if r == 2:
        return t
    return ctx.node1("Flatten", [t], axis=axis % r)


def _t(ctx, t: str) -> str:
    r = ctx.rank(t)
    if r < 2:
        return t
    perm = list(range(r - 2)) + [r - 1, r - 2]
    v = ctx.value(t)
    if v is not None:
        return ctx.const(v.transpose(perm).copy(), "transposed")
    return ctx.node1("Transpose", [t], perm=perm)


def _emit_matmul(ctx, op, args, a, b):
    """ONNX MatMul of `a` and `b` after Caffe2's trans_a / trans_b, bound to the op's output."""
    if args.int("trans_a"):
        a = _t(ctx, a)
    if args.int("trans_b"):
        b = _t(ctx, b)
    ctx.write(op.output[0], "MatMul", [a, b])


@register("MatMul")
def matmul(ctx, op, args):
    a = _flat(ctx, ctx.input(op.input[0]), args.int("axis_a"))
    b = _flat(ctx, ctx.input(op.input[1]), args.int("axis_b"))
    _emit_matmul(ctx, op, args, a, b)


@register("BatchMatMul")
def batch_matmul(ctx, op, args):
    _emit_matmul(ctx, op, args, ctx.input(op.input[0]), ctx.input(op.input[1]))
