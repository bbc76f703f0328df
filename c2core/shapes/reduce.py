"""Reduction rules: Reduce*, ReduceFront/Back*, ArgMax/ArgMin, TopK, row/column maxima."""

from __future__ import annotations

from .info import BadNet, BlobInfo, canonical_axis, prod
from .registry import register


@register("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "Moments")
def reduce_axes(ctx):
    x = ctx.shape(0)
    axes = ctx.ints("axes")
    axes = set(range(len(x))) if not axes else {canonical_axis(a, len(x)) for a in axes}
    if ctx.i("keepdims"):
        out = tuple(1 if i in axes else d for i, d in enumerate(x))
    else:
        out = tuple(d for i, d in enumerate(x) if i not in axes)
    return [BlobInfo(out, ctx.dtype(0))] * ctx.n_out  # Moments: mean and variance alike


@register("ReduceFrontSum", "ReduceFrontMean", "ReduceFrontMax", "ReduceBackSum", "ReduceBackMean", "ReduceBackMax")
def reduce_front_back(ctx):
    """The first (Front) or last (Back) `num_reduce_dim` axes are reduced away."""
    x = ctx.shape(0)
    k = ctx.i("num_reduce_dim")
    if not 0 <= k <= len(x):
        raise BadNet("num_reduce_dim out of range")
    kept = x[k:] if "Front" in ctx.op.type else x[: len(x) - k]
    return [BlobInfo(tuple(kept), ctx.dtype(0))]


@register("ReduceTailSum", "RowwiseMax")
def per_row(ctx):
    return [BlobInfo((ctx.shape(0)[0],), ctx.dtype(0))]


@register("ColwiseMax")
def per_column(ctx):
    x = ctx.shape(0)
    return [BlobInfo((prod(x[1:]),), ctx.dtype(0))]


@register("SumElements", "SumSqrElements")
def sum_all(ctx):
    return [BlobInfo((), ctx.dtype(0))]


@register("ArgMax", "ArgMin")
def arg_reduce(ctx):
    x = ctx.shape(0)
    axis = canonical_axis(ctx.i("axis"), len(x))
    if ctx.i("keepdims"):
        out = tuple(1 if i == axis else d for i, d in enumerate(x))
    else:
        out = tuple(d for i, d in enumerate(x) if i != axis)
    return [BlobInfo(out, "int64")]


@register("TopK")
def top_k(ctx):
    x = ctx.shape(0)
    k = ctx.i("k")
    axis = canonical_axis(ctx.i("axis"), len(x))
    out = list(x)
    out[axis] = k if k > 0 else -1
    outs = [BlobInfo(tuple(out), ctx.dtype(0)), BlobInfo(tuple(out), "int64")]
    if ctx.n_out > 2:
        outs.append(BlobInfo((prod(out),), "int64"))
    return outs


@register("LengthsSum", "SparseLengthsSum")
def lengths_sum(ctx):
    data = ctx.shape(0)
    lengths = ctx.shape(ctx.n_in - 1)
    return [BlobInfo((lengths[0],) + tuple(data[1:]), ctx.dtype(0))]
