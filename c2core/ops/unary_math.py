"""Unary math (caffe2/operators/exp_op.cc, log_op.cc, sqrt_op.cc,
abs_op.cc, negative_op.cc, sqr_op.cc, reciprocal_op.cc, scale_op.cc).

Exp e^x, Log ln x, Sqrt √x, Abs |x|, Negative -x, Sqr x², Reciprocal 1/x,
Rsqrt 1/√x, Scale x·`scale` (default 1.0).
"""

from __future__ import annotations

import torch

from .registry import register


def _unary(name, fn, inplace=None):
    def kernel(ctx, x):
        return fn(x)

    kernel.__name__ = name.lower()
    ip = None
    if inplace is not None:

        def ip(ctx, x):
            return inplace(x) if x.is_floating_point() else fn(x)

    register(name, inplace=ip)(kernel)


_unary("Exp", torch.exp, torch.exp_)
_unary("Log", torch.log, torch.log_)
_unary("Sqrt", torch.sqrt, torch.sqrt_)
_unary("Abs", torch.abs, torch.abs_)
_unary("Negative", torch.neg, torch.neg_)
_unary("Sqr", torch.square)
_unary("Reciprocal", torch.reciprocal)
_unary("Rsqrt", torch.rsqrt)


def _scale_prep(ctx):
    return ctx.args.float("scale", 1.0)


@register("Scale", prepare=_scale_prep)
def scale(ctx, x):
    return x * ctx.state
