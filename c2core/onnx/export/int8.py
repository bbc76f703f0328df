"""Caffe2 `Int8*` ops, in one of three forms the user chooses (`int8=`):

- "qdq" (default): the quantized net stays quantized. Activations are uint8
  tensors; each Int8 op becomes DequantizeLinear on its inputs (weights stay
  uint8 / int32 initializers behind their own DequantizeLinear), the float op,
  and QuantizeLinear with the op's `Y_scale` / `Y_zero_point`. This is ONNX's
  QDQ form, which ONNX Runtime, TensorRT and OpenVINO fuse into integer
  kernels (QLinearConv, QLinearMatMul...). Rounding differs from QNNPACK's
  fixed-point requantization by at most 1 LSB on an op's output.
- "exact": QNNPACK's integer arithmetic bit for bit (int8_exact.py) for the
  ops that requantize; the ops that only move values use the QDQ form, which
  is exact for them (same scale in and out).
- "float": a float model: weights dequantized at export, no rounding to the
  uint8 grid; each quantization point keeps only its saturation, as a Clip to
  [scale * (0 - zp), scale * (255 - zp)]; Int8Dequantize is an identity.

The float part of each op is the float exporter itself, run on a synthetic
float OperatorDef: Int8 ops default to NHWC, Int8AveragePool counts padding
(QNNPACK sums the whole kernel with padding at the zero point), Int8Softmax
always outputs scale 1/256, zero point 0.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from ...proto import caffe2_pb2
from . import int8_exact
from .context import Quant
from .registry import lookup, register

# Int8 op -> (float op, fused relu)
FLOAT_OF = {
    "Int8Conv": ("Conv", False), "Int8ConvRelu": ("Conv", True),
    "Int8FC": ("FC", False),
    "Int8Add": ("Add", False), "Int8Sum": ("Sum", False), "Int8AddRelu": ("Add", True), "Int8SumRelu": ("Sum", True),
    "Int8AveragePool": ("AveragePool", False), "Int8AveragePoolRelu": ("AveragePool", True),
    "Int8MaxPool": ("MaxPool", False), "Int8MaxPoolRelu": ("MaxPool", True),
    "Int8Relu": ("Relu", False), "Int8Sigmoid": ("Sigmoid", False), "Int8LeakyRelu": ("LeakyRelu", False),
    "Int8Softmax": ("Softmax", False),
    "Int8Reshape": ("Reshape", False), "Int8Flatten": ("Flatten", False), "Int8Transpose": ("Transpose", False),
    "Int8Concat": ("Concat", False), "Int8ChannelShuffle": ("ChannelShuffle", False),
    "Int8ResizeNearest": ("ResizeNearest", False),
}
_LAYOUT_OPS = {"Conv", "AveragePool", "MaxPool", "ChannelShuffle", "ResizeNearest"}
# Ops whose output keeps the input's scale and zero point (no requantization in Caffe2).
_KEEPS_QUANT = {"Int8MaxPool", "Int8MaxPoolRelu", "Int8Relu", "Int8Reshape", "Int8Flatten", "Int8Transpose",
                "Int8ChannelShuffle", "Int8ResizeNearest", "Int8Concat"}


def _scalar(ctx, value, dtype, hint):
    return ctx.const(np.asarray(value, dtype=dtype), hint)


def _quant_of(ctx, name: str, blob: str) -> Quant:
    q = ctx.quant.get(name)
    if q is None:
        raise C2Error(f"blob '{blob}' feeds an Int8 op but carries no scale/zero point (not produced by an Int8 op or fill)")
    return q


def dequantized(ctx, blob: str) -> str:
    """Float ONNX value of Caffe2 Int8 blob `blob` (folded for weights in float mode)."""
    name = ctx.input(blob)
    q = _quant_of(ctx, name, blob)
    v = ctx.value(name)
    if ctx.int8 == "float":
        if v is not None:
            return ctx.const(((v.astype(np.float64) - q.zero_point) * q.scale).astype(np.float32), blob + "_dq")
        return name  # activations are already real-valued in the float form
    zp_type = np.int32 if ctx.elem_type(name) == 6 else np.uint8
    return ctx.node1("DequantizeLinear", [name, _scalar(ctx, q.scale, np.float32, "scale"),
                                          _scalar(ctx, q.zero_point, zp_type, "zero_point")])


def quantized(ctx, x: str, blob: str, q: Quant) -> None:
    """Bind Caffe2 blob `blob` to float ONNX value `x` quantized with `q`."""
    out = ctx.output(blob)
    if ctx.int8 == "float":
        # Keep the saturation of the uint8 grid (a semantic clamp), drop only the rounding.
        lo, hi = (0 - q.zero_point) * q.scale, (255 - q.zero_point) * q.scale
        ctx.node1("Clip", [x, _scalar(ctx, lo, np.float32, "qmin"), _scalar(ctx, hi, np.float32, "qmax")], out)
    else:
        ctx.node1("QuantizeLinear", [x, _scalar(ctx, q.scale, np.float32, "scale"),
                                     _scalar(ctx, q.zero_point, np.uint8, "zero_point")], out)
    ctx.quant[out] = q  # in the float form too: ops that keep their input's quantization read it
    ctx.bind(blob, out)


@register("Int8Quantize")
def int8_quantize(ctx, op, args):
    if ctx.int8 == "exact":
        return int8_exact.EXPORTERS[op.type](ctx, op, args)
    x = ctx.input(op.input[0])
    quantized(ctx, x, op.output[0], Quant(args.float("Y_scale"), args.int("Y_zero_point")))


@register("Int8Dequantize")
def int8_dequantize(ctx, op, args):
    q = _quant_of(ctx, ctx.input(op.input[0]), op.input[0])
    x = dequantized(ctx, op.input[0])
    out = ctx.write(op.output[0], "Identity", [x])
    ctx.dequantized[out] = q  # verification measures this float output in steps of q.scale


def _bias_real(ctx, op) -> str:
    """An Int8 conv/FC bias as QNNPACK reads it: raw int32 added to the accumulator,
    i.e. in units of x_scale * w_scale whatever scale/zero point the fill declares."""
    b = ctx.input(op.input[2])
    qx = _quant_of(ctx, ctx.input(op.input[0]), op.input[0])
    qw = _quant_of(ctx, ctx.input(op.input[1]), op.input[1])
    scale = float(np.float32(qx.scale) * np.float32(qw.scale))
    v = ctx.value(b)
    if ctx.int8 == "float" and v is not None:
        return ctx.const((v.astype(np.float64) * scale).astype(np.float32), op.input[2] + "_dq")
    return ctx.node1("DequantizeLinear", [b, _scalar(ctx, scale, np.float32, "bias_scale"),
                                          _scalar(ctx, 0, np.int32, "zero_point")])


@register(*FLOAT_OF)
def int8_op(ctx, op, args):
    if ctx.int8 == "exact" and op.type in int8_exact.EXACT_OPS:
        return int8_exact.EXPORTERS[op.type](ctx, op, args)
    float_type, relu = FLOAT_OF[op.type]
    f = caffe2_pb2.OperatorDef()
    f.CopyFrom(op)
    f.type = float_type
    del f.input[:]
    del f.output[:]
    for k, b in enumerate(op.input):
        tmp = ctx.fresh(f"{b}_real")
        if k == 2 and float_type in ("Conv", "FC"):
            ctx.bind(tmp, _bias_real(ctx, op))
        else:
            ctx.bind(tmp, dequantized(ctx, b))
        f.input.append(tmp)
    tmp_out = ctx.fresh(f"{op.output[0]}_real")
    f.output.append(tmp_out)
    names = {a.name for a in op.arg}
    if float_type in _LAYOUT_OPS and "order" not in names:
        f.arg.add(name="order", s=b"NHWC")
    if op.type == "Int8Concat" and "axis" not in names:
        # Int8Concat's default axis follows `order` only when one is given (else 0).
        order = args.str("order")
        f.arg.add(name="axis", i={"NHWC": 3, "NCHW": 1}.get(order, 0))
    if op.type.startswith("Int8AveragePool"):
        for a in list(f.arg):
            if a.name == "count_include_pad":
                f.arg.remove(a)
        f.arg.add(name="count_include_pad", i=1)
    from ...args import Args

    lookup(float_type)(ctx, f, Args(f.arg, f.type))
    y = ctx.current[tmp_out]
    if relu:
        y = ctx.node1("Relu", [y])
    if op.type == "Int8Softmax":
        q = Quant(1.0 / 256.0, 0)
    elif op.type in _KEEPS_QUANT:
        q = _quant_of(ctx, ctx.input(op.input[0]), op.input[0])
    else:
        q = Quant(args.float("Y_scale"), args.int("Y_zero_point"))
    quantized(ctx, y, op.output[0], q)
