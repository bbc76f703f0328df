"""Pointwise activations (caffe2/operators/relu_op.h, leaky_relu_op.h,
prelu_op.h, elu_op.h, sigmoid_op.h, tanh_op.h, softplus_op.h, clip_op.h,
swish_op.h).

- Relu: max(x, 0).  LeakyRelu: x if x >= 0 else alpha·x (`alpha` 0.01).
- PRelu(X, slope): x if x > 0 else slope·x, slope shared (size 1) or per
  channel (axis 1 for NCHW, last axis for `order`=NHWC).
- Elu: x if x > 0 else alpha·(exp(x) - 1) (`alpha` 1.0).
- Sigmoid 1/(1+e^-x); Tanh; Softplus log(1 + e^x); Swish x·sigmoid(x).
- Clip: min(max(x, `min`), `max`), each bound optional (Relu6 is Clip 0..6).
- Selu (selu_op.h): scale·(x if x > 0 else alpha·(e^x - 1)), Caffe2's
  defaults alpha 1.6732..., scale 1.0507... from the schema.
- Softsign (softsign_op.cc): x / (1 + |x|).
Every one of them may run in place (output blob = input blob).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .registry import register


def _relu_(ctx, x):
    return x.relu_()


@register("Relu", inplace=_relu_)
def relu(ctx, x):
    return torch.relu(x)


def _alpha(ctx):
    return ctx.args.float("alpha")


def _leaky_(ctx, x):
    return F.leaky_relu_(x, ctx.state)


@register("LeakyRelu", prepare=_alpha, inplace=_leaky_)
def leaky_relu(ctx, x):
    return F.leaky_relu(x, ctx.state)


def _elu_(ctx, x):
    return F.elu_(x, ctx.state)


@register("Elu", prepare=_alpha, inplace=_elu_)
def elu(ctx, x):
    return F.elu(x, ctx.state)


def _selu_prep(ctx):
    return ctx.args.float("alpha"), ctx.args.float("scale")


@register("Selu", prepare=_selu_prep)
def selu(ctx, x):
    alpha, scale = ctx.state
    return scale * torch.where(x > 0, x, alpha * torch.expm1(x))


@register("Softsign")
def softsign(ctx, x):
    return x / (1 + x.abs())


def _prelu_prep(ctx):
    return ctx.args.str("order").upper() == "NHWC"


@register("PRelu", prepare=_prelu_prep)
def prelu(ctx, x, slope):
    slope = slope.reshape(-1)
    if slope.numel() == 1 or x.dim() < 2:
        s = slope.reshape(())
    elif ctx.state:  # NHWC: channels last
        s = slope
    else:
        s = slope.reshape((-1,) + (1,) * (x.dim() - 2))
    return torch.where(x > 0, x, x * s)


def _sigmoid_(ctx, x):
    return x.sigmoid_()


@register("Sigmoid", inplace=_sigmoid_)
def sigmoid(ctx, x):
    return torch.sigmoid(x)


def _tanh_(ctx, x):
    return x.tanh_()


@register("Tanh", inplace=_tanh_)
def tanh(ctx, x):
    return torch.tanh(x)


@register("Softplus")
def softplus(ctx, x):
    # log(1 + e^x) without overflow for large x (torch switches to x above 20).
    return F.softplus(x)


@register("Swish")
def swish(ctx, x):
    return F.silu(x)


def _clip_prep(ctx):
    a = ctx.args
    lo = a.float("min") if "min" in a else None
    hi = a.float("max") if "max" in a else None
    return lo, hi


def _clip_(ctx, x):
    lo, hi = ctx.state
    return x.clamp_(lo, hi) if (lo is not None or hi is not None) else x


@register("Clip", prepare=_clip_prep, inplace=_clip_)
def clip(ctx, x):
    lo, hi = ctx.state
    if lo is None and hi is None:
        return x.clone()
    return torch.clamp(x, lo, hi)
