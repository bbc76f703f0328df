"""Normalization and dropout rules (outputs keep X's shape; statistics differ).

SpatialBN (training) also writes running and saved mean/var [C]; LRN a scale
blob like X; InstanceNorm mean/inv_stdev [N, C]; LayerNorm mean/stdev
dims[:axis] + [1]; GroupNorm mean/inv_sigma [N, group]; Dropout a bool mask.
"""

from __future__ import annotations

from .geometry import split_layout
from .info import BlobInfo, canonical_axis
from .registry import register, same


@register("SpatialBN")
def spatial_bn(ctx):
    y = same(ctx)
    if ctx.n_out == 1:
        return [y]
    _n, c, _sp = split_layout(ctx.shape(0), ctx.order())
    stat = BlobInfo((c,), ctx.dtype(0))
    return [y] + [stat] * (ctx.n_out - 1)


@register("LRN")
def lrn(ctx):
    return [same(ctx), same(ctx)]


@register("InstanceNorm")
def instance_norm(ctx):
    n, c, _sp = split_layout(ctx.shape(0), ctx.order())
    stat = BlobInfo((n, c), ctx.dtype(0))
    return [same(ctx), stat, stat]


@register("LayerNorm")
def layer_norm(ctx):
    x = ctx.shape(0)
    axis = canonical_axis(ctx.i("axis"), len(x))
    stat = BlobInfo(tuple(x[:axis]) + (1,), ctx.dtype(0))
    return [same(ctx), stat, stat]


@register("GroupNorm")
def group_norm(ctx):
    n, _c, _sp = split_layout(ctx.shape(0), ctx.order())
    stat = BlobInfo((n, ctx.i("group")), ctx.dtype(0))
    return [same(ctx), stat, stat]


@register("Dropout")
def dropout(ctx):
    return [same(ctx), same(ctx, dtype="bool")]
