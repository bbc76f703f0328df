"""Unary math (caffe2/operators/exp_op.cc, log_op.cc, sqrt_op.cc,
abs_op.cc, negative_op.cc, sqr_op.cc, reciprocal_op.cc, scale_op.cc).

Exp e^x, Log ln x, Sqrt √x, Abs |x|, Negative -x, Sqr x², Reciprocal 1/x,
Rsqrt 1/√x, Scale x·`scale` (default 1.0); sin_op.cc and its siblings: Sin,
Cos, Tan, Asin, Acos, Atan, Floor, Ceil, Sign (-1, 0, 1), Erf.
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
_unary("Sin", torch.sin, torch.Tensor.sin_)
_unary("Cos", torch.cos, torch.Tensor.cos_)
_unary("Tan", torch.tan, torch.Tensor.tan_)
_unary("Asin", torch.asin, torch.Tensor.asin_)
_unary("Acos", torch.acos, torch.Tensor.acos_)
_unary("Atan", torch.atan, torch.Tensor.atan_)
_unary("Floor", torch.floor, torch.Tensor.floor_)
_unary("Ceil", torch.ceil, torch.Tensor.ceil_)
_unary("Sign", torch.sign, torch.Tensor.sign_)
_unary("Erf", torch.erf, torch.Tensor.erf_)


def _scale_prep(ctx):
    return ctx.args.float("scale")


@register("Scale", prepare=_scale_prep)
def scale(ctx, x):
    return x * ctx.state
