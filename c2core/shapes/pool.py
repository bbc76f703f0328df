"""Pooling rules: Max/Average/Lp pooling in every spelling, global pooling.

`global_pooling=1` uses the whole spatial extent as the kernel (output 1 per
axis). Shares `geometry.out_size` with convolution, including legacy_pad=3
(Caffe ceil mode) used by nets translated from Caffe.
"""

from __future__ import annotations

from .geometry import join_layout, spatial_out, split_layout, window
from .info import BlobInfo
from .registry import register


def pool_shape(ctx, order: str | None = None) -> tuple:
    order = order or ctx.order()
    x = ctx.shape(0)
    n, c, spatial = split_layout(x, order)
    if ctx.i("global_pooling"):
        return join_layout(n, c, [1] * len(spatial), order)
    win = window(ctx, len(spatial))
    return join_layout(n, c, spatial_out(spatial, win), order)


@register(
    "MaxPool", "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "AveragePool", "AveragePool1D", "AveragePool2D", "AveragePool3D", "LpPool",
)
def pool(ctx):
    return [BlobInfo(pool_shape(ctx), ctx.dtype(0))]


@register("MaxPoolWithIndex")
def max_pool_with_index(ctx):
    s = pool_shape(ctx)
    return [BlobInfo(s, ctx.dtype(0)), BlobInfo(s, "int32")]
