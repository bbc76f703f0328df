"""Concat / DepthConcat and Split / DepthSplit (caffe2/operators/concat_split_op.h).

Concat(X0, X1, ...) -> Y, split_info: joins along `axis` (default 1, or the
channel axis of `order`: 3 for NHWC). With `add_axis=1` the inputs are
stacked along a new axis instead. split_info (int32) holds each input's size
along the axis (1 each with add_axis).

Split(X[, split]) -> Y0, Y1, ...: cuts along `axis` (or `order`) into the
sizes given by the `split` argument or the second input, or into equal parts
(one per output). With `add_axis=1` each part has size 1 and that axis is
removed.
"""

from __future__ import annotations

import torch

from .registry import register


def _axis(args):
    if "axis" in args:
        return args.int("axis")
    return 3 if args.str("order").upper() == "NHWC" else 1


def _concat_prep(ctx):
    return _axis(ctx.args), bool(ctx.args.int("add_axis")), len(ctx.op.output) > 1


@register("Concat", "DepthConcat", prepare=_concat_prep)
def concat(ctx, *xs):
    axis, add_axis, info = ctx.state
    if add_axis:
        y = torch.stack(xs, dim=axis)
        sizes = [1] * len(xs)
    else:
        y = torch.cat(xs, dim=axis)
        sizes = [x.shape[axis] for x in xs] if info else None
    if not info:
        return y
    return y, torch.tensor(sizes, dtype=torch.int32, device=y.device)


def _split_prep(ctx):
    a = ctx.args
    return _axis(a), a.ints("split"), bool(a.int("add_axis")), len(ctx.op.output)


@register("Split", "DepthSplit", prepare=_split_prep, view=True)
def split(ctx, x, split_input=None):
    axis, sizes, add_axis, n = ctx.state
    if split_input is not None:
        sizes = [int(v) for v in split_input.tolist()]
    dim = x.shape[axis]
    if sizes is None:
        if dim % n:
            raise ValueError(f"cannot split size {dim} along axis {axis} into {n} equal parts")
        sizes = [dim // n] * n
    if len(sizes) != n:
        raise ValueError(f"split has {len(sizes)} sizes but the op has {n} outputs")
    if sum(sizes) != dim:
        raise ValueError(f"split sizes {sizes} sum to {sum(sizes)}, not the axis size {dim}")
    parts = torch.split(x, sizes, dim=axis)
    if add_axis:
        parts = [p.squeeze(axis) for p in parts]
    return tuple(parts)
