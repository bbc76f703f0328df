"""Slice and Gather (caffe2/operators/slice_op.h, gather_op.h).

Slice(X[, starts, ends]) -> Y: per axis i < len(starts), keep
[starts[i], ends[i]); a negative index v means dim + 1 + v (so -1 is the end
of the axis); axes beyond the lists are kept whole. Indices come from the
`starts`/`ends` arguments or the 2nd/3rd inputs.

Gather(DATA, INDICES) -> Y = DATA taken along `axis` (default 0) at INDICES;
shape DATA.shape[:axis] + INDICES.shape + DATA.shape[axis+1:]. Negative
indices count from the end.
"""

from __future__ import annotations

import torch

from .registry import register


def _slice_prep(ctx):
    return ctx.args.ints("starts"), ctx.args.ints("ends")


@register("Slice", prepare=_slice_prep, view=True)
def slice_(ctx, x, starts=None, ends=None):
    st, en = ctx.state
    if starts is not None:
        st = [int(v) for v in starts.tolist()]
        en = [int(v) for v in ends.tolist()]
    if st is None or en is None or len(st) != len(en):
        raise ValueError("Slice needs 'starts' and 'ends' of equal length")
    if len(st) > x.dim():
        raise ValueError(f"Slice has {len(st)} starts for a {x.dim()}-D input")
    index = []
    for i, (a, b) in enumerate(zip(st, en)):
        d = x.shape[i]
        a = d + 1 + a if a < 0 else a
        b = d + 1 + b if b < 0 else b
        a, b = min(a, d), min(b, d)
        if a < 0 or b < a:
            raise ValueError(f"Slice axis {i}: bad range [{st[i]}, {en[i]}) for size {d}")
        index.append(slice(a, b))
    return x[tuple(index)]


@register("SpatialNarrowAs", view=True)
def spatial_narrow_as(ctx, a, b):
    """Detectron's SpatialNarrowAs: A (NCHW) cropped to B's height and width."""
    if a.dim() != 4 or b.dim() != 4:
        raise ValueError(f"{ctx.where}: expects two 4-D NCHW inputs, got {list(a.shape)} and {list(b.shape)}")
    h, w = b.shape[2], b.shape[3]
    if h > a.shape[2] or w > a.shape[3]:
        raise ValueError(f"{ctx.where}: B ({h}x{w}) is larger than A ({a.shape[2]}x{a.shape[3]})")
    return a[:, :, :h, :w]


@register("Gather", prepare=lambda ctx: ctx.args.int("axis"))
def gather(ctx, data, indices):
    axis = ctx.state % data.dim()
    idx = indices.long()
    d = data.shape[axis]
    if idx.numel() and (int(idx.max()) >= d or int(idx.min()) < -d):
        raise ValueError(f"Gather index out of range for axis {axis} of size {d}")
    idx = torch.where(idx < 0, idx + d, idx)
    y = data.index_select(axis, idx.reshape(-1))
    return y.reshape(tuple(data.shape[:axis]) + tuple(indices.shape) + tuple(data.shape[axis + 1:]))
