"""Conv, ConvTranspose and FC.

ConvTranspose follows Caffe2's ConvTransposeUnpoolBase (c2core/conv_transpose_pads.py):
legacy_pad VALID/SAME mean zero pads, `adj` becomes output_padding or a smaller
tail pad, and `dilation` is dropped as Caffe2 ignores it.
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
from ...conv_transpose_pads import conv_transpose_pads
from .layout import order, to_nchw, to_nhwc
from .padding import geometry, onnx_pads
from .registry import register


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


def _filter(ctx, op, args):
    """(filter in NCHW order, its shape, number of spatial dims) for Conv/ConvTranspose."""
    w = _filter_nchw(ctx, ctx.input(op.input[1]), order(args) == "NHWC")
    wshape = ctx.shape(w)
    return w, wshape, len(wshape) - 2


@register("Conv", "Conv1D", "Conv2D", "Conv3D")
def conv(ctx, op, args):
    w, wshape, nd = _filter(ctx, op, args)
    ks, ss, ds, pads, legacy = geometry(args, nd, kernel_default=wshape[2:])
    extra = [ctx.input(op.input[2])] if len(op.input) > 2 else []

    def build(x, out):
        xs = ctx.shape(x) or [None] * (nd + 2)
        if len(xs) != nd + 2:
            raise C2Error(f"input of rank {len(xs)} ({xs}) for a {nd}-D convolution with filter {wshape}")
        in_sizes = xs[2:]
        p = onnx_pads(in_sizes, ks, ss, ds, pads, legacy)
        return ctx.node1("Conv", [x, w] + extra, out, kernel_shape=ks, strides=ss, dilations=ds, pads=p,
                         group=args.int("group"))

    channel_first(ctx, op, args, build)


def _onnx_convt_pads(stride, pads, adj, nd):
    """ONNX (pads, output_padding, tail zeros to append) giving Caffe2's output.

    Caffe2 crops [pad_head, pad_head + out) out of the full scatter zero-extended
    by `adj` at the tail. Where adj <= pad_tail that is a smaller ONNX tail pad;
    otherwise ONNX's output_padding supplies the tail, but it must be below the
    stride (ONNX Runtime refuses adj == stride, which Caffe2 allows): then the
    remaining rows are appended as zeros by a Pad before the bias is added.
    """
    heads, tails, opad, more = list(pads[:nd]), [], [], []
    for i in range(nd):
        excess = adj[i] - pads[nd + i]
        tails.append(max(-excess, 0))
        excess = max(excess, 0)
        opad.append(excess if excess < stride[i] else 0)
        more.append(excess if excess >= stride[i] else 0)
    return heads + tails, opad, more


@register("ConvTranspose")
def conv_transpose(ctx, op, args):
    w, wshape, nd = _filter(ctx, op, args)
    ks, _, _, _, _ = geometry(args, nd, kernel_default=wshape[2:])
    try:  # Caffe2's rules: legacy_pad VALID/SAME zero the pads, 0 <= adj <= stride; dilation ignored
        ss, c2_pads, adj = conv_transpose_pads(args, nd)
    except ValueError as e:
        raise C2Error(str(e)) from None
    pads, opad, more = _onnx_convt_pads(ss, c2_pads, adj, nd)
    bias = ctx.input(op.input[2]) if len(op.input) > 2 else None
    group = args.int("group")

    def build(x, out):
        if not any(more):
            return ctx.node1("ConvTranspose", [x, w] + ([bias] if bias else []), out, kernel_shape=ks, strides=ss,
                             pads=pads, output_padding=opad if any(opad) else None, group=group)
        y = ctx.node1("ConvTranspose", [x, w], None, kernel_shape=ks, strides=ss, pads=pads,
                      output_padding=opad if any(opad) else None, group=group)
        y = ctx.node1("Pad", [y, ctx.ints([0] * (nd + 2) + [0, 0] + more, "pads")], None if bias else out, mode="constant")
        if bias:
            b = ctx.node1("Reshape", [bias, ctx.ints([1, -1] + [1] * nd, "bias_shape")])
            y = ctx.node1("Add", [y, b], out)
        return y

    channel_first(ctx, op, args, build)


def _flatten2d(ctx, t: str, axis: int, hint: str) -> str:
    v = ctx.value(t)
    s = ctx.shape(t)
    if v is not None:
        return ctx.const(v.reshape(int(np.prod(v.shape[:axis], dtype=np.int64)), -1), hint)
    if s is not None and len(s) == 2 and axis == 1:
        return t
    return ctx.node1("Flatten", [t], axis=axis)


@register("FC", "FCTransposed")
def fc(ctx, op, args):
    x = ctx.input(op.input[0])
    w = ctx.input(op.input[1])
    rx, rw = ctx.rank(x), ctx.rank(w)
    axis = args.int("axis")
    axis = axis + rx if axis < 0 else axis
    axis_w = args.int("axis_w")
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
