"""Rank-changing rules: Reshape, Flatten, FlattenToVec, Squeeze, ExpandDims, Shape, Size.

Reshape follows Caffe2: `shape` argument or the 2nd input (its values when it
is a small constant weight, else only its length is known), 0 copies the input dim at that index, one -1 is inferred
from the element count; the second output `old_shape` is int64 [ndim].
"""

from __future__ import annotations

from .info import BadNet, BlobInfo, canonical_axis, prod
from .registry import register


def reshape_shape(ctx) -> tuple:
    x = ctx.shape(0)
    if ctx.n_in > 1:
        spec = ctx.values(1)
        if spec is None:
            s = ctx.maybe_shape(1)
            if s is None or len(s) != 1 or s[0] < 0:
                raise BadNet("new shape comes from unknown values")
            return tuple([-1] * s[0])
        spec = [int(v) for v in spec]
    else:
        spec = ctx.ints("shape")
    if spec is None:
        raise BadNet("Reshape without shape")
    out = []
    for i, d in enumerate(spec):
        if d == 0:
            if i >= len(x):
                raise BadNet("0 in shape beyond the input rank")
            out.append(x[i])
        else:
            out.append(d)
    if out.count(-1) > 1:
        raise BadNet("more than one -1 in shape")
    if -1 in out:
        i = out.index(-1)
        total = prod(x)
        rest = prod(out[:i] + out[i + 1:])
        if total >= 0 and rest > 0:
            if total % rest:
                raise BadNet(f"cannot reshape {x} to {spec}")
            out[i] = total // rest
    else:
        total = prod(x)
        if total >= 0 and prod(out) >= 0 and prod(out) != total:
            raise BadNet(f"cannot reshape {x} to {spec}")
    return tuple(out)


@register("Reshape")
def reshape(ctx):
    x = ctx.shape(0)
    return [BlobInfo(reshape_shape(ctx), ctx.dtype(0)), BlobInfo((len(x),), "int64")]


def flatten_shape(ctx) -> tuple:
    x = ctx.shape(0)
    axis = ctx.i("axis")
    if axis < 0:
        axis += len(x)
    if not 0 <= axis <= len(x):
        raise BadNet("flatten axis out of range")
    return (prod(x[:axis]), prod(x[axis:]))


@register("Flatten")
def flatten(ctx):
    return [BlobInfo(flatten_shape(ctx), ctx.dtype(0))]


@register("FlattenToVec")
def flatten_to_vec(ctx):
    return [BlobInfo((prod(ctx.shape(0)),), ctx.dtype(0))]


@register("Squeeze")
def squeeze(ctx):
    x = ctx.shape(0)
    dims = sorted(set(ctx.ints("dims") or []))
    for d in dims:
        if d >= len(x) or x[d] not in (1, -1):
            raise BadNet(f"cannot squeeze dim {d} of {x}")
    return [BlobInfo(tuple(s for i, s in enumerate(x) if i not in dims), ctx.dtype(0))]


@register("ExpandDims")
def expand_dims(ctx):
    out = list(ctx.shape(0))
    for d in sorted(set(ctx.ints("dims") or [])):
        if d > len(out):
            raise BadNet(f"cannot insert dim {d}")
        out.insert(d, 1)
    return [BlobInfo(tuple(out), ctx.dtype(0))]


@register("Shape")
def shape_op(ctx):
    x = ctx.shape(0)
    axes = ctx.ints("axes")
    if axes:
        for a in axes:
            canonical_axis(a, len(x))
        return [BlobInfo((len(axes),), "int64")]
    return [BlobInfo((len(x),), "int64")]


@register("Size")
def size_op(ctx):
    return [BlobInfo((), "int64")]
