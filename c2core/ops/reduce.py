"""Reductions (caffe2/operators/reduce_ops.cc, reduction_ops.cc,
reduce_front_back_*_ops.cc, arg_ops.cc).

- ReduceSum / ReduceMean / ReduceMax / ReduceMin / ReduceL1 / ReduceL2(X):
  over `axes` (default: all), keeping them as size 1 when `keepdims`
  (default 1). L1 = Σ|x|, L2 = √Σx².
- Moments(X) -> mean, variance (moments_op.cc): over `axes` like Reduce*;
  the variance is the biased one, mean((x - mean)²).
- ReduceFront{Sum,Mean,Max}(X): over the first `num_reduce_dim` (default 1)
  axes, which are dropped; ReduceBack* over the last ones.
- ArgMax / ArgMin(X): index (int64) of the extreme along `axis` (default
  -1), kept as size 1 when `keepdims` (default 1); first index on ties.
"""

from __future__ import annotations

import torch

from .registry import register


def _red_prep(ctx):
    a = ctx.args
    return a.ints("axes"), bool(a.int("keepdims"))


def _dims(axes, x):
    return tuple(range(x.dim())) if axes is None else tuple(axes)


def _reduce(name, fn):
    def kernel(ctx, x):
        axes, keep = ctx.state
        return fn(x, _dims(axes, x), keep)

    kernel.__name__ = name.lower()
    register(name, prepare=_red_prep)(kernel)


_reduce("ReduceSum", lambda x, d, k: x.sum(dim=d, keepdim=k))
_reduce("ReduceMean", lambda x, d, k: x.mean(dim=d, keepdim=k))
_reduce("ReduceMax", lambda x, d, k: x.amax(dim=d, keepdim=k))
_reduce("ReduceMin", lambda x, d, k: x.amin(dim=d, keepdim=k))
_reduce("ReduceL1", lambda x, d, k: x.abs().sum(dim=d, keepdim=k))
_reduce("ReduceL2", lambda x, d, k: x.square().sum(dim=d, keepdim=k).sqrt())


@register("Moments", prepare=_red_prep)
def moments(ctx, x):
    axes, keep = ctx.state
    var, mean = torch.var_mean(x, dim=_dims(axes, x), correction=0, keepdim=keep)
    return mean, var


def _fb_prep(ctx):
    return ctx.args.int("num_reduce_dim")


def _front_back(name, front, fn):
    def kernel(ctx, x):
        n = ctx.state
        dims = tuple(range(n)) if front else tuple(range(x.dim() - n, x.dim()))
        if not dims:
            return x.clone()
        return fn(x, dims)

    kernel.__name__ = name.lower()
    register(name, prepare=_fb_prep)(kernel)


for _side, _front in (("Front", True), ("Back", False)):
    _front_back(f"Reduce{_side}Sum", _front, lambda x, d: x.sum(dim=d))
    _front_back(f"Reduce{_side}Mean", _front, lambda x, d: x.mean(dim=d))
    _front_back(f"Reduce{_side}Max", _front, lambda x, d: x.amax(dim=d))


def _arg_prep(ctx):
    return ctx.args.int("axis"), bool(ctx.args.int("keepdims"))


@register("ArgMax", prepare=_arg_prep)
def argmax(ctx, x):
    axis, keep = ctx.state
    return torch.argmax(x, dim=axis, keepdim=keep)


@register("ArgMin", prepare=_arg_prep)
def argmin(ctx, x):
    axis, keep = ctx.state
    return torch.argmin(x, dim=axis, keepdim=keep)
