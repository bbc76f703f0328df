"""Elementwise rules: unary maps, binary arithmetic and comparisons, n-ary sums.

Binary ops follow Caffe2: with `broadcast=1` (legacy) B is aligned to A at
`axis` and the result has A's shape; otherwise NumPy broadcasting. Comparisons
and logic ops produce bool.
"""

from __future__ import annotations

from .info import BadNet, BlobInfo
from .registry import register, same

UNARY_SAME = (
    "Relu", "ReluN", "LeakyRelu", "PRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh", "Softplus", "Softsign",
    "Swish", "Gelu", "Clip", "Softmax", "LogSoftmax", "Exp", "Log", "Sqrt", "Rsqrt", "Abs", "Negative", "Sqr",
    "Reciprocal", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Floor", "Ceil", "Sign", "Cube", "Erf", "Scale", "Logit", "CumSum",
    "Copy", "CopyCPUToGPU", "CopyGPUToCPU", "CopyFromCPUInput", "EnsureCPUOutput", "EnsureDense", "Alias",
    "StopGradient", "AffineChannel", "Normalize", "ChannelShuffle",
)


@register(*UNARY_SAME)
def unary(ctx):
    return [same(ctx)]


@register("HalfToFloat")
def half_to_float(ctx):
    return [same(ctx, dtype="float32")]


@register("FloatToHalf")
def float_to_half(ctx):
    return [same(ctx, dtype="float16")]


def broadcast_shapes(a: tuple, b: tuple) -> tuple:
    """NumPy broadcasting; -1 (unknown) yields to a known size other than 1."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y:
            out.append(x)
        elif x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x < 0:
            out.append(y)
        elif y < 0:
            out.append(x)
        else:
            raise BadNet(f"shapes {a} and {b} do not broadcast")
    return tuple(out)


def binary_shape(ctx) -> tuple:
    a = ctx.shape(0)
    if ctx.i("broadcast"):
        return a
    if ctx.n_in < 2:
        return a
    return broadcast_shapes(a, ctx.shape(1))


@register("Add", "Sub", "Mul", "Div")
def arithmetic(ctx):
    return [BlobInfo(binary_shape(ctx), ctx.dtype(0))]


@register("Pow")
def power(ctx):
    if ctx.n_in < 2:
        return [same(ctx)]
    return [BlobInfo(binary_shape(ctx), ctx.dtype(0))]


@register("EQ", "NE", "LT", "LE", "GT", "GE", "And", "Or", "Xor")
def compare(ctx):
    return [BlobInfo(binary_shape(ctx), "bool")]


@register("Not")
def logical_not(ctx):
    return [same(ctx, dtype="bool")]


@register("Sum", "Max", "Min", "Mean")
def nary(ctx):
    shape = ctx.shape(0)
    for i in range(1, ctx.n_in):
        s = ctx.maybe_shape(i)
        if s is not None:
            shape = broadcast_shapes(shape, s)
    return [BlobInfo(shape, ctx.dtype(0))]


@register("WeightedSum")
def weighted_sum(ctx):
    return [same(ctx)]


@register("Where")
def where(ctx):
    x, y = ctx.shape(1), ctx.shape(2)
    s = broadcast_shapes(x, y)
    if not ctx.i("broadcast_on_rows"):
        s = broadcast_shapes(s, ctx.shape(0))
    return [BlobInfo(s, ctx.dtype(1))]
