"""Element-wise activations and unary math.

Most map one to one (same formula, same defaults: LeakyRelu alpha 0.01, Elu
alpha 1, HardSigmoid alpha 0.2 / beta 0.5, Selu's constants). PRelu's slope is
per channel on axis 1 (NCHW) or the last axis (NHWC), so it is reshaped to
broadcast there; Clip's bounds become inputs (opset >= 11).
"""

from __future__ import annotations

import numpy as np

from .layout import order
from .registry import register

_SAME = {
    "Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Exp": "Exp", "Log": "Log", "Abs": "Abs",
    "Sqrt": "Sqrt", "Negative": "Neg", "Softsign": "Softsign", "Floor": "Floor", "Ceil": "Ceil",
    "Sign": "Sign", "Sin": "Sin", "Cos": "Cos", "Not": "Not", "Erf": "Erf", "Reciprocal": "Reciprocal",
    "Softplus": "Softplus", "Tan": "Tan", "Asin": "Asin", "Acos": "Acos", "Atan": "Atan",
}


def _unary(ctx, op, onnx_type, **attrs):
    ctx.write(op.output[0], onnx_type, [ctx.input(op.input[0])], **attrs)


@register(*_SAME)
def same(ctx, op, args):
    _unary(ctx, op, _SAME[op.type])


@register("LeakyRelu")
def leaky_relu(ctx, op, args):
    _unary(ctx, op, "LeakyRelu", alpha=args.float("alpha"))


@register("Elu")
def elu(ctx, op, args):
    _unary(ctx, op, "Elu", alpha=args.float("alpha"))


@register("Selu")
def selu(ctx, op, args):
    _unary(ctx, op, "Selu", alpha=args.float("alpha"),
           gamma=args.float("scale"))


@register("HardSigmoid")
def hard_sigmoid(ctx, op, args):
    _unary(ctx, op, "HardSigmoid", alpha=args.float("alpha"), beta=args.float("beta"))


@register("Clip")
def clip(ctx, op, args):
    x = ctx.input(op.input[0])
    lo = args.float("min", float(np.finfo(np.float32).min))
    hi = args.float("max", float(np.finfo(np.float32).max))
    ctx.write(op.output[0], "Clip", [x, ctx.const(np.float32(lo), "clip_min"), ctx.const(np.float32(hi), "clip_max")])


@register("Sqr")
def sqr(ctx, op, args):
    x = ctx.input(op.input[0])
    ctx.write(op.output[0], "Mul", [x, x])


@register("Swish")
def swish(ctx, op, args):
    x = ctx.input(op.input[0])
    ctx.write(op.output[0], "Mul", [x, ctx.node1("Sigmoid", [x])])


@register("PRelu")
def prelu(ctx, op, args):
    x = ctx.input(op.input[0])
    slope = ctx.input(op.input[1])
    r = ctx.rank(x)
    n = ctx.shape(slope)
    if n is not None and len(n) == 1 and n[0] != 1 and order(args) == "NCHW" and r > 2:
        slope = ctx.unsqueeze(slope, list(range(1, r - 1)))
    ctx.write(op.output[0], "PRelu", [x, slope])


@register("Rsqrt")
def rsqrt(ctx, op, args):
    ctx.write(op.output[0], "Reciprocal", [ctx.node1("Sqrt", [ctx.input(op.input[0])])])
