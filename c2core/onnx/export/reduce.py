"""Reductions: Reduce{Sum,Mean,Max,Min,L1,L2}, Moments, ReduceFront*/ReduceBack*, ArgMax/ArgMin.

Caffe2 reduces over `axes` (default: all) and keeps them when `keepdims`
(default 1); ReduceFront*/Back* reduce the first/last `num_reduce_dim`
(default 1) axes and drop them; ArgMax/ArgMin take `axis` (default -1) and
`keepdims` (default 1), first index on ties (ONNX select_last_index=0), int64.
ONNX moved `axes` from attribute to input at opset 13 (ReduceSum) and 18 (the
others); `reduce` emits whichever form the opset wants.
"""

from __future__ import annotations

from .registry import register

_REDUCE = {"ReduceSum": "ReduceSum", "ReduceMean": "ReduceMean", "ReduceMax": "ReduceMax", "ReduceMin": "ReduceMin",
           "ReduceL1": "ReduceL1", "ReduceL2": "ReduceL2"}
_FRONT_BACK = {"ReduceFrontSum": "ReduceSum", "ReduceFrontMean": "ReduceMean", "ReduceFrontMax": "ReduceMax",
               "ReduceBackSum": "ReduceSum", "ReduceBackMean": "ReduceMean", "ReduceBackMax": "ReduceMax"}


def reduce(ctx, onnx_op: str, x: str, axes, keepdims: bool, output=None) -> str:
    axes_as_input = onnx_op == "ReduceSum" or ctx.opset >= 18
    if axes is None:
        return ctx.node1(onnx_op, [x], output, keepdims=int(keepdims))
    if axes_as_input:
        return ctx.node1(onnx_op, [x, ctx.ints(axes, "axes")], output, keepdims=int(keepdims))
    return ctx.node1(onnx_op, [x], output, axes=list(axes), keepdims=int(keepdims))


@register(*_REDUCE)
def reduce_axes(ctx, op, args):
    out = ctx.output(op.output[0])
    reduce(ctx, _REDUCE[op.type], ctx.input(op.input[0]), args.ints("axes"), bool(args.int("keepdims")), out)
    ctx.bind(op.output[0], out)


@register(*_FRONT_BACK)
def reduce_front_back(ctx, op, args):
    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    n = args.int("num_reduce_dim")
    axes = list(range(n)) if "Front" in op.type else list(range(r - n, r))
    out = ctx.output(op.output[0])
    reduce(ctx, _FRONT_BACK[op.type], x, axes, False, out)
    ctx.bind(op.output[0], out)


@register("Moments")
def moments(ctx, op, args):
    """mean = ReduceMean(x); variance = ReduceMean((x - mean)²), the mean kept
    as size-1 axes for the subtraction and reduced as Caffe2 asks for the output."""
    x = ctx.input(op.input[0])
    axes, keep = args.ints("axes"), bool(args.int("keepdims"))
    centred = ctx.node1("Sub", [x, reduce(ctx, "ReduceMean", x, axes, True)])
    square = ctx.node1("Mul", [centred, centred])
    for blob, src in zip(op.output, (x, square)):
        out = ctx.output(blob)
        reduce(ctx, "ReduceMean", src, axes, keep, out)
        ctx.bind(blob, out)


@register("ArgMax", "ArgMin")
def arg_max_min(ctx, op, args):
    ctx.write(op.output[0], op.type, [ctx.input(op.input[0])], axis=args.int("axis"),
              keepdims=args.int("keepdims"), select_last_index=0)
