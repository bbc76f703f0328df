"""Fill ops met inside a predict net (constants, placeholders, random initialisers)."""

from __future__ import annotations

from .info import DTYPE_OF_PROTO, BlobInfo
from .registry import register

_GIVEN_DTYPES = {
    "GivenTensorFill": "float32", "GivenTensorDoubleFill": "float64", "GivenTensorIntFill": "int32",
    "GivenTensorInt16Fill": "int16", "GivenTensorInt64Fill": "int64", "GivenTensorBoolFill": "bool",
    "GivenTensorStringFill": "object", "GivenTensorByteStringToUInt8Fill": "uint8",
    "Int8GivenTensorFill": "uint8", "Int8GivenIntTensorFill": "int32",
    "XavierFill": "float32", "MSRAFill": "float32", "GaussianFill": "float32", "UniformFill": "float32",
    "UniformIntFill": "int32", "RangeFill": "float32",
}


def fill_shape(ctx):
    extra = tuple(ctx.ints("extra_shape") or ())
    if ctx.n_in >= 1:
        if ctx.i("input_as_shape"):
            v = ctx.values(0)
            if v is not None:
                return tuple(int(d) for d in v) + extra
            s = ctx.maybe_shape(0)
            if s is not None and len(s) == 1 and s[0] >= 0:
                return tuple([-1] * s[0]) + extra
            return None
        return tuple(ctx.shape(0)) + extra
    return tuple(ctx.ints("shape") or ()) + extra


@register("ConstantFill")
def constant_fill(ctx):
    if ctx.has("dtype"):
        dt = DTYPE_OF_PROTO[ctx.i("dtype")]
    elif ctx.n_in >= 1 and not ctx.i("input_as_shape"):
        dt = ctx.dtype(0)
    else:
        dt = "float32"
    return [BlobInfo(fill_shape(ctx), dt)]


@register(*_GIVEN_DTYPES)
def given_fill(ctx):
    dt = _GIVEN_DTYPES[ctx.type]
    if ctx.type == "GivenTensorFill" and ctx.has("dtype"):
        dt = DTYPE_OF_PROTO.get(ctx.i("dtype"), dt)
    return [BlobInfo(fill_shape(ctx), dt)]


@register("LengthsRangeFill")
def lengths_range_fill(ctx):
    return [BlobInfo((-1,), "int32")]
