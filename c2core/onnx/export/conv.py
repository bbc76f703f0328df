"""Conv, ConvTranspose and FC.

Conv geometry goes through `padding.onnx_pads` (legacy_pad included); NHWC
convs transpose the activation around an NCHW ONNX Conv and the filter
([M, kh, kw, C/g] -> [M, C/g, kh, kw]) once, as a constant when it is one.
FC flattens X at `axis` and W at `axis_w` exactly like Caffe2 (Flatten, which
keeps a symbolic batch) and uses Gemm; an `axis` other than 1 reshapes the
result back to X.shape[:axis] + [N] through a run-time Shape.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from .layout import order, to_nchw, to_nhwc
from .padding import NOTSET, geometry, onnx_pads
from .registry import exporter


def _filter_nchw(ctx, w: str, nhwc: bool) -> str:
    if not nhwc:
        return w
    r = ctx.rank(w)
    perm = [0, r - 1] + list(range(1, r - 1))
    v = ctx.value(w)
    if v is not None:
        return ctx.const(np.ascontiguousarray(v.transpose(perm)), "filter_nchw")
    return ctx.node1("Transpose", [w], perm=perm)


def channel_first(ctx, op, args, build) -> None:
    """Run `build(x_nchw, output_or_None) -> name` with NHWC handled around it."""
    x = ctx.input(op.input[0])
    out = ctx.output(op.output[0])
    if order(args) == "NHWC":
        y = build(to_nchw(ctx, x), None)
        to_nhwc(ctx, y, out)
    else:
        build(x, out)
    ctx.bind(op.output[0], out)


@exporter("Conv", "Conv1D", "Conv2D", "Conv3D")
def conv(ctx, op, args):
    nhwc = order(args) == "NHWC"
    w = _filter_nchw(ctx, ctx.input(op.input[1]), nhwc)
    wshape = ctx.shape(w)
    nd = len(wshape) - 2
    ks, ss, ds, pads, legacy = geometry(args, nd, kernel_default=wshape[2:])
    extra = [ctx.input(op.input[2])] if len(op.input) > 2 else []

    def build(x, out):
        xs = ctx.shape(x) or [None] * (nd + 2)
        if len(xs) != nd + 2:
            raise C2Error(f"input of rank {len(xs)} ({xs}) for a {nd}-D convolution with filter {wshape}")
        in_sizes = xs[2:]
        p = onnx_pads(in_sizes, ks, ss, ds, pads, legacy)
        return ctx.node1("Conv", [x, w] + extra, out, kernel_shape=ks, strides=ss, dilations=ds, pads=p,
                         group=args.int("group", 1))

    channel_first(ctx, op, args, build)


@exporter("ConvTranspose")
def conv_transpose(ctx, op, args):
    if args.int("legacy_pad", NOTSET) != NOTSET:
        raise C2Error("ConvTranspose with legacy_pad has no exact ONNX form")
    nhwc = order(args) == "NHWC"
    w = _filter_nchw(ctx, ctx.input(op.input[1]), nhwc)
    wshape = ctx.shape(w)
    nd = len(wshape) - 2
    ks, ss, _, pads, _ = geometry(args, nd, kernel_default=wshape[2:])
    adj = args.spatial("adj", "adjs", nd, 0)
    extra = [ctx.input(op.input[2])] if len(op.input) > 2 else []

    def build(x, out):
        return ctx.node1("ConvTranspose", [x, w] + extra, out, kernel_shape=ks, strides=ss, pads=pads,
                         output_padding=adj if any(adj) else None, group=args.int("group", 1))

    channel_first(ctx, op, args, build)


def _flatten2d(ctx, t: str, axis: int, hint: str) -> str:
    v = ctx.value(t)
    s = ctx.shape(t)
    if v is not None:
        return ctx.const(v.reshape(int(np.prod(v.shape[:axis], dtype=np.int64)), -1), hint)
    if s is not None and len(s) == 2 and axis == 1:
        return t
    return ctx.node1("Flatten", [t], axis=axis)


@exporter("FC", "FCTransposed")
def fc(ctx, op, args):
    x = ctx.input(op.input[0])
    w = ctx.input(op.input[1])
    rx, rw = ctx.rank(x), ctx.rank(w)
    axis = args.int("axis", 1)
    axis = axis + rx if axis < 0 else axis
    axis_w = args.int("axis_w", 1)
    axis_w = axis_w + rw if axis_w < 0 else axis_w
    x2 = _flatten2d(ctx, x, axis, "fc_x")
    w2 = _flatten2d(ctx, w, axis_w, "fc_w")
    ins = [x2, w2] + ([ctx.input(op.input[2])] if len(op.input) > 2 else [])
    out = ctx.output(op.output[0])
    trans_b = 1 if op.type == "FC" else 0
    if axis == 1:
        ctx.node1("Gemm", ins, out, transB=trans_b)
    else:
        y = ctx.node1("Gemm", ins, transB=trans_b)
        n = ctx.shape(y)[1] if ctx.shape(y) and isinstance(ctx.shape(y)[1], int) else -1
        target = ctx.node1("Concat", [ctx.shape_of(x, 0, axis), ctx.ints([n])], axis=0)
        ctx.node1("Reshape", [y, target], out)
    ctx.bind(op.output[0], out)
