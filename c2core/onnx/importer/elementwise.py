"""Elementwise ONNX ops: arithmetic with broadcasting and activations.

Binary arithmetic is emitted without Caffe2's `broadcast` argument: since
2018 Caffe2's Add/Sub/Mul/Div broadcast NumPy-style (multidirectionally) when
`broadcast` is 0 (caffe2/operators/elementwise_ops.h), which is exactly ONNX's
rule, whereas `broadcast=1` would select the legacy suffix/axis alignment.
Activations map one to one, except HardSwish (no Caffe2 op) which becomes
HardSigmoid(alpha=1/6, beta=0.5) followed by Mul.
"""

from __future__ import annotations

import numpy as np

from .registry import refusal_of, register

_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div"}


@register(*_BINARY, emits=tuple(_BINARY.values()))
def binary(ctx, node, a):
    x, y = node.input[0], node.input[1]
    ctx.emit(_BINARY[node.op_type], [ctx.blob(x, like=y), ctx.blob(y, like=x)], node.output[0])


def _check_pow(ctx, node, a):
    e = ctx.const(node.input[1])
    if e is None or e.size != 1:
        return "Pow with a computed or non-scalar exponent"
    return None


@register("Pow", emits=("Pow",), check=_check_pow)
def pow_(ctx, node, a):
    e = float(np.asarray(ctx.const(node.input[1])).reshape(()))
    ctx.emit("Pow", [ctx.blob(node.input[0])], node.output[0], exponent=e)


def _same_shapes(ctx, node, a):
    shapes = {ctx.shape(n) for n in node.input}
    if len(shapes) != 1 or None in shapes:
        return f"{node.op_type} of differently shaped inputs (Caffe2's {node.op_type} does not broadcast)"
    return None


@register("Sum", "Max", "Min", emits=("Sum", "Max", "Min"), check=_same_shapes)
def variadic(ctx, node, a):
    ctx.emit(node.op_type, [ctx.blob(n) for n in node.input], node.output[0])


_UNARY = {
    "Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt",
    "Abs": "Abs", "Neg": "Negative", "Reciprocal": "Reciprocal", "Softplus": "Softplus",
}


@register(*_UNARY, emits=tuple(_UNARY.values()))
def unary(ctx, node, a):
    ctx.emit(_UNARY[node.op_type], [ctx.blob(node.input[0])], node.output[0])


@register("LeakyRelu", emits=("LeakyRelu",))
def leaky_relu(ctx, node, a):
    ctx.emit("LeakyRelu", [ctx.blob(node.input[0])], node.output[0], alpha=float(a.get("alpha", 0.01)))


@register("Elu", emits=("Elu",))
def elu(ctx, node, a):
    ctx.emit("Elu", [ctx.blob(node.input[0])], node.output[0], alpha=float(a.get("alpha", 1.0)))


@register("HardSigmoid", emits=("HardSigmoid",))
def hard_sigmoid(ctx, node, a):
    ctx.emit("HardSigmoid", [ctx.blob(node.input[0])], node.output[0],
             alpha=float(a.get("alpha", 0.2)), beta=float(a.get("beta", 0.5)))


@register("HardSwish", emits=("HardSigmoid", "Mul"))
def hard_swish(ctx, node, a):
    x = ctx.blob(node.input[0])
    gate = ctx.fresh(node.output[0] + "_gate")
    ctx.emit("HardSigmoid", [x], gate, alpha=1.0 / 6.0, beta=0.5)
    ctx.emit("Mul", [x, gate], node.output[0])


def _clip_bounds(ctx, node, a):
    """(min, max) or a reason string; old opsets carry them as attributes, new ones as inputs."""
    if ctx.opset < 11:
        return a.get("min"), a.get("max")
    out = []
    for i in (1, 2):
        name = node.input[i] if len(node.input) > i else ""
        if not name:
            out.append(None)
            continue
        v = ctx.const(name)
        if v is None:
            return f"Clip with computed bound '{name}'"
        out.append(float(np.asarray(v).reshape(())))
    return tuple(out)


@register("Clip", emits=("Clip",), check=refusal_of(_clip_bounds))
def clip(ctx, node, a):
    lo, hi = _clip_bounds(ctx, node, a)
    args = {}
    if lo is not None and np.isfinite(lo):
        args["min"] = float(lo)
    if hi is not None and np.isfinite(hi):
        args["max"] = float(hi)
    ctx.emit("Clip", [ctx.blob(node.input[0])], node.output[0], **args)


def _prelu_slope(ctx, node):
    """The slope as a 1-D per-channel (or single) vector, or None when ONNX broadcasting differs."""
    s = ctx.const(node.input[1])
    xs = ctx.shape(node.input[0])
    if s is None or xs is None:
        return None
    if s.size == 1:
        return s.reshape(1)
    dims = list(s.shape)
    while dims and dims[0] == 1 and len(dims) > len(xs) - 1:
        dims.pop(0)
    r = len(xs)
    if r >= 2 and dims == [xs[1]] + [1] * (r - 2):
        return s.reshape(-1)
    return None


def _check_prelu(ctx, node, a):
    if _prelu_slope(ctx, node) is None:
        return "PRelu whose slope is not per channel"
    return None


@register("PRelu", emits=("PRelu",), check=_check_prelu)
def prelu(ctx, node, a):
    w = ctx.add_weight(node.input[1] + "_c", _prelu_slope(ctx, node).astype(np.float32))
    ctx.emit("PRelu", [ctx.blob(node.input[0]), w], node.output[0])
