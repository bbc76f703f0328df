"""Quantized (Int8*) rules: uint8 NHWC tensors by default, same geometry as float ops.

Int8Quantize gives uint8, Int8Dequantize float32; Int8 layers reuse the float
rules' geometry with the schema's NHWC default order.
"""

from __future__ import annotations

from .conv import conv_shape, conv_transpose_shape
from .elementwise import binary_shape, broadcast_shapes
from .info import BlobInfo
from .matmul import fc_shape
from .pool import pool_shape
from .reshape import flatten_shape, reshape_shape
from .registry import register, same
from .tensor import concat_shapes, resize_shape, slice_shape, transpose_shape

U8 = "uint8"


@register("Int8Conv", "Int8ConvRelu")
def int8_conv(ctx):
    return [BlobInfo(conv_shape(ctx), U8)]


@register("Int8ConvTranspose")
def int8_conv_transpose(ctx):
    return [BlobInfo(conv_transpose_shape(ctx), U8)]


@register("Int8FC")
def int8_fc(ctx):
    return [BlobInfo(fc_shape(ctx, False), U8)]


@register("Int8AveragePool", "Int8MaxPool", "Int8AveragePoolRelu", "Int8MaxPoolRelu")
def int8_pool(ctx):
    return [BlobInfo(pool_shape(ctx), U8)]


@register("Int8Sum", "Int8SumRelu")
def int8_sum(ctx):
    shape = ctx.shape(0)
    for i in range(1, ctx.n_in):
        shape = broadcast_shapes(shape, ctx.shape(i))
    return [BlobInfo(shape, U8)]


@register("Int8Add", "Int8AddRelu")
def int8_add(ctx):
    return [BlobInfo(binary_shape(ctx), U8)]


@register("Int8Quantize", "Int8Relu", "Int8LeakyRelu", "Int8Sigmoid", "Int8Softmax", "Int8ChannelShuffle")
def int8_same(ctx):
    return [same(ctx, dtype=U8)]


@register("Int8Dequantize")
def int8_dequantize(ctx):
    return [same(ctx, dtype="float32")]


@register("Int8Reshape")
def int8_reshape(ctx):
    x = ctx.shape(0)
    return [BlobInfo(reshape_shape(ctx), U8), BlobInfo((len(x),), "int64")]


@register("Int8Flatten")
def int8_flatten(ctx):
    return [BlobInfo(flatten_shape(ctx), U8)]


@register("Int8Concat")
def int8_concat(ctx):
    shape, _ = concat_shapes(ctx)
    return [BlobInfo(shape, U8), BlobInfo((ctx.n_in,), "int32")]


@register("Int8Slice")
def int8_slice(ctx):
    return [BlobInfo(slice_shape(ctx), U8)]


@register("Int8Transpose")
def int8_transpose(ctx):
    return [BlobInfo(transpose_shape(ctx), U8)]


@register("Int8ResizeNearest")
def int8_resize_nearest(ctx):
    return [BlobInfo(resize_shape(ctx, "NHWC"), U8)]


@register("FloatToFused8BitRowwiseQuantized")
def to_fused_rowwise(ctx):
    n, d = ctx.shape(0)
    return [BlobInfo((n, d + 8 if d >= 0 else -1), U8)]


@register("Fused8BitRowwiseQuantizedToFloat")
def from_fused_rowwise(ctx):
    n, d = ctx.shape(0)
    return [BlobInfo((n, d - 8 if d >= 0 else -1), "float32")]
