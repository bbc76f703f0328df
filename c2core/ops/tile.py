"""Tile (caffe2/operators/tile_op.h).

Tile(X[, tiles[, axis]]) -> Y: X repeated `tiles` times along `axis` as whole
blocks ([a, b] tiled 2 times is [a, b, a, b]); `tiles` and `axis` come from
the arguments (schema defaults 1 and 0) or from 1-element input tensors,
which override them.
"""

from __future__ import annotations

from .registry import register


def _tile_prep(ctx):
    return ctx.args.int("tiles"), ctx.args.int("axis")


@register("Tile", prepare=_tile_prep)
def tile(ctx, x, tiles=None, axis=None):
    n, ax = ctx.state
    if tiles is not None:
        n = int(tiles.reshape(-1)[0])
    if axis is not None:
        ax = int(axis.reshape(-1)[0])
    if n < 0:
        raise ValueError(f"{ctx.where}: tiles must be >= 0, got {n}")
    if not -x.dim() <= ax < x.dim():
        raise ValueError(f"{ctx.where}: axis {ax} out of range for a {x.dim()}-D input")
    reps = [1] * x.dim()
    reps[ax % x.dim()] = n
    return x.repeat(*reps)
