"""`--int8 exact`: Caffe2's Int8 ops as integer ONNX graphs, bit for bit.

The executor's Int8 kernels (c2core/ops/int8.py) reproduce QNNPACK's
arithmetic; this module emits the same arithmetic with standard ONNX ops that
ONNX Runtime runs on the CPU, so the exported graph gives the executor's
uint8 values exactly (no 1-LSB slack as in the QDQ form):

- accumulators: ConvInteger / MatMulInteger (int32, exact), with the input
  padded by its zero point first (as QNNPACK's indirection buffer does) and
  the int32 bias added in int64;
- conv/FC requantization: the float32 scale's mantissa as a Q31 multiplier,
  a rounding-half-up high multiply and a rounding-half-away shift, in int64.
  ONNX's BitShift takes unsigned types only, so an arithmetic right shift by
  k is `(x - Mod(x, 2^k)) / 2^k` (Mod with a positive divisor is a floor
  modulo, the quotient is then exact);
- Int8Add/Sum: QNNPACK's two multipliers below 2^22 and one shift;
- Int8AveragePool: the window sum (ConvInteger with a ones filter per
  channel, padding at the zero point) times a 24-bit multiplier, rounded half
  away from zero;
- Int8Softmax: QNNPACK's uint32 exp table gathered by (x - row max + 255),
  summed per row, then (t * 256 + total / 2) / total;
- Int8Sigmoid / Int8LeakyRelu: the executor's 256-entry tables via Gather;
- Int8Quantize: Div, Round (half to even), + zero point, Clip, Cast, the
  executor's float32 steps (QuantizeLinear may multiply by a reciprocal).

Ops that only move values (max pooling, ReLU, reshapes, concat...) keep the
QDQ form: dequantizing and requantizing with the same scale is an identity.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from ...errors import C2Error
from ...window_size import size_and_pad
from .context import Quant
from .padding import geometry

EXACT_OPS = frozenset({
    "Int8Quantize", "Int8Conv", "Int8ConvRelu", "Int8FC", "Int8Add", "Int8Sum", "Int8AddRelu", "Int8SumRelu",
    "Int8AveragePool", "Int8AveragePoolRelu", "Int8Softmax", "Int8Sigmoid", "Int8LeakyRelu",
})


def _i64(ctx, v, hint="i64") -> str:
    return ctx.const(np.asarray(v, dtype=np.int64), hint)


def _cast(ctx, x, to) -> str:
    return ctx.node1("Cast", [x], to=to)


def _floor_shift(ctx, x: str, k: int) -> str:
    """floor(x / 2^k) for int64 x (an arithmetic right shift)."""
    if k == 0:
        return x
    d = _i64(ctx, 1 << k, "pow2")
    return ctx.node1("Div", [ctx.node1("Sub", [x, ctx.node1("Mod", [x, d])]), d])


def _shift_round_half_away(ctx, x: str, shift: int) -> str:
    """QNNPACK's rounding right shift: floor(x / 2^s) + (remainder > half), the
    remainder taken one lower for negative x (so ties round away from zero)."""
    if shift == 0:
        return x
    mask = (1 << shift) - 1
    neg = _cast(ctx, ctx.node1("Less", [x, _i64(ctx, 0, "zero")]), TensorProto.INT64)
    rem = ctx.node1("Sub", [ctx.node1("Mod", [x, _i64(ctx, 1 << shift, "pow2")]), neg])
    up = _cast(ctx, ctx.node1("Greater", [rem, _i64(ctx, mask >> 1, "half")]), TensorProto.INT64)
    return ctx.node1("Add", [_floor_shift(ctx, x, shift), up])


def _to_uint8(ctx, n: str, zero_point: int, lo: int, out: str | None = None) -> str:
    """uint8 of int64 `n` + zero_point, saturated to [lo, 255]."""
    y = ctx.node1("Add", [n, _i64(ctx, zero_point, "zp")])
    y = ctx.node1("Clip", [y, _i64(ctx, lo, "qmin"), _i64(ctx, 255, "qmax")])
    return ctx.node1("Cast", [y], out, to=TensorProto.UINT8)


def requantize_q31(ctx, acc: str, scale, zero_point: int, lo: int, out: str | None = None) -> str:
    """The executor's `requantize_q31` on an int64 accumulator value."""
    from ...ops.int8 import q31_multiplier

    scale = np.float32(scale)
    if not (0 < scale < 1):
        # The executor's fallback: float64 product, rounded half away from zero.
        y = ctx.node1("Mul", [_cast(ctx, acc, TensorProto.DOUBLE), ctx.const(np.float64(scale), "scale", np.float64)])
        r = ctx.node1("Floor", [ctx.node1("Add", [ctx.node1("Abs", [y]), ctx.const(0.5, "half", np.float64)])])
        n = _cast(ctx, ctx.node1("Mul", [ctx.node1("Sign", [y]), r]), TensorProto.INT64)
        return _to_uint8(ctx, n, zero_point, lo, out)
    multiplier, shift = q31_multiplier(scale)
    if shift >= 32:
        n = ctx.node1("Mul", [acc, _i64(ctx, 0, "zero")])
        return _to_uint8(ctx, n, zero_point, lo, out)
    p = ctx.node1("Add", [ctx.node1("Mul", [acc, _i64(ctx, multiplier, "q31_mult")]), _i64(ctx, 1 << 30, "q31_round")])
    q31 = _floor_shift(ctx, p, 31)
    return _to_uint8(ctx, _shift_round_half_away(ctx, q31, shift), zero_point, lo, out)


def _relu_min(zero_point: int, relu: bool) -> int:
    return min(max(zero_point, 0), 255) if relu else 0


def _out_quant(args) -> Quant:
    return Quant(float(np.float32(args.float("Y_scale"))), args.int("Y_zero_point"))


def _weight(ctx, blob: str, what: str):
    name = ctx.current.get(blob)
    if name is None and blob in ctx.weights:
        # read the initializer's values without adding it to the graph (the
        # exact form stores transposed / widened copies instead)
        name, v = blob, ctx.weights[blob]
    else:
        v = ctx.value(ctx.input(blob))
    if v is None:
        raise C2Error(f"the exact Int8 form needs {what} '{blob}' to be a constant (an Int8 fill)")
    q = ctx.quant.get(name)
    return v, q


def _quant(ctx, name: str, blob: str) -> Quant:
    q = ctx.quant.get(name)
    if q is None:
        raise C2Error(f"blob '{blob}' feeds an Int8 op but carries no scale/zero point (not produced by an Int8 op or fill)")
    return q


def _bias(ctx, op, shape) -> str | None:
    if len(op.input) < 3:
        return None
    b, _ = _weight(ctx, op.input[2], "bias")
    return _i64(ctx, np.asarray(b, dtype=np.int64).reshape(shape), "bias64")


def _finish(ctx, blob: str, build, q: Quant) -> None:
    out = ctx.output(blob)
    build(out)
    ctx.quant[out] = q
    ctx.bind(blob, out)


def _pads_nchw(ctx, args, hw, kernel):
    _, strides, dilations, pads, legacy = geometry(args, 2, kernel_default=kernel)
    heads, tails = [], []
    for i in range(2):
        try:
            _, h, t = size_and_pad(int(hw[i]), int(kernel[i]), strides[i], dilations[i], pads[i], pads[i + 2], legacy)
        except ValueError as e:
            raise C2Error(f"spatial axis {i}: {e}") from None
        heads.append(h)
        tails.append(t)
    return [0, 0, heads[0], heads[1], 0, 0, tails[0], tails[1]], strides, dilations


def _padded_nchw(ctx, x: str, blob: str, pads, zero_point: int) -> str:
    """NHWC uint8 `x` as NCHW, padded with its zero point (so padding adds 0)."""
    xs = ctx.shape(x)
    if xs is None or len(xs) != 4 or not all(isinstance(d, int) for d in xs[1:]):
        raise C2Error(f"the exact Int8 form needs a static N x H x W x C shape for '{blob}', got {xs}")
    y = ctx.node1("Transpose", [x], perm=[0, 3, 1, 2])
    if any(pads):
        y = ctx.node1("Pad", [y, _i64(ctx, pads, "pads"), ctx.const(np.uint8(zero_point), "pad_value", np.uint8)])
    return y


def _nhwc_out(ctx, y_nchw_u8: str, out: str) -> str:
    return ctx.node1("Transpose", [y_nchw_u8], out, perm=[0, 2, 3, 1])


def _check_nhwc(args, op_type):
    order = args.str("order").upper()
    if order != "NHWC":
        raise C2Error(f"{op_type} supports only order NHWC (Caffe2 has no NCHW Int8 kernels), got {order}")


def conv(ctx, op, args) -> None:
    _check_nhwc(args, op.type)
    x = ctx.input(op.input[0])
    qx = _quant(ctx, x, op.input[0])
    w, qw = _weight(ctx, op.input[1], "filter")
    if qw is None or w.ndim != 4:
        raise C2Error(f"{op.type} filter '{op.input[1]}' must be a 4-D Int8 fill (M x KH x KW x C/group)")
    group = args.int("group")
    xs = ctx.shape(x)
    if xs is None or len(xs) != 4 or w.shape[3] * group != xs[3]:
        raise C2Error(f"{op.type}: filter {list(w.shape)} with group {group} does not fit input {xs}")
    pads, strides, dilations = _pads_nchw(ctx, args, xs[1:3], list(w.shape[1:3]))
    xp = _padded_nchw(ctx, x, op.input[0], pads, qx.zero_point)
    wn = ctx.const(np.ascontiguousarray(w.transpose(0, 3, 1, 2)).astype(np.uint8), "filter_nchw")
    acc = ctx.node1("ConvInteger", [xp, wn, ctx.const(np.uint8(qx.zero_point), "x_zp", np.uint8),
                                    ctx.const(np.uint8(qw.zero_point), "w_zp", np.uint8)],
                    kernel_shape=list(w.shape[1:3]), strides=strides, dilations=dilations, group=group)
    acc = _cast(ctx, acc, TensorProto.INT64)
    b = _bias(ctx, op, (1, -1, 1, 1))
    if b is not None:
        acc = ctx.node1("Add", [acc, b])
    qy = _out_quant(args)
    scale = np.float32(qx.scale) * np.float32(qw.scale) / np.float32(qy.scale)
    lo = _relu_min(qy.zero_point, op.type.endswith("Relu"))
    _finish(ctx, op.output[0], lambda out: _nhwc_out(ctx, requantize_q31(ctx, acc, scale, qy.zero_point, lo), out), qy)


def fc(ctx, op, args) -> None:
    x = ctx.input(op.input[0])
    qx = _quant(ctx, x, op.input[0])
    w, qw = _weight(ctx, op.input[1], "weight")
    if qw is None:
        raise C2Error(f"Int8FC weight '{op.input[1]}' must be an Int8 fill")
    w2 = w.reshape(w.shape[0], -1)
    xf = ctx.node1("Flatten", [x], axis=1)
    k = ctx.shape(xf)
    if k is not None and isinstance(k[1], int) and k[1] != w2.shape[1]:
        raise C2Error(f"Int8FC: X has {k[1]} features per row but W is {list(w.shape)}")
    acc = ctx.node1("MatMulInteger", [xf, ctx.const(np.ascontiguousarray(w2.T).astype(np.uint8), "fc_wT"),
                                      ctx.const(np.uint8(qx.zero_point), "x_zp", np.uint8),
                                      ctx.const(np.uint8(qw.zero_point), "w_zp", np.uint8)])
    acc = _cast(ctx, acc, TensorProto.INT64)
    b = _bias(ctx, op, (1, -1))
    if b is not None:
        acc = ctx.node1("Add", [acc, b])
    qy = _out_quant(args)
    scale = np.float32(qx.scale) * np.float32(qw.scale) / np.float32(qy.scale)
    _finish(ctx, op.output[0], lambda out: requantize_q31(ctx, acc, scale, qy.zero_point, 0, out), qy)


def add(ctx, op, args) -> None:
    from ...ops.int8 import _add_params

    if len(op.input) != 2:
        raise C2Error(f"{op.type} with {len(op.input)} inputs: the exact Int8 form takes two (as the executor)")
    a, b = ctx.input(op.input[0]), ctx.input(op.input[1])
    qa, qb = _quant(ctx, a, op.input[0]), _quant(ctx, b, op.input[1])
    sa, sb = ctx.shape(a), ctx.shape(b)
    if sa is not None and sb is not None and sa != sb:
        raise C2Error(f"{op.type} needs inputs of the same shape (no broadcasting), got {sa} and {sb}")
    qy = _out_quant(args)
    try:
        ma, mb, shift = _add_params(qa.scale, qb.scale, qy.scale)
    except ValueError as e:
        raise C2Error(f"{op.type}: {e}") from None
    acc = ctx.node1("Add", [ctx.node1("Mul", [_cast(ctx, a, TensorProto.INT64), _i64(ctx, ma, "a_mult")]),
                            ctx.node1("Mul", [_cast(ctx, b, TensorProto.INT64), _i64(ctx, mb, "b_mult")])])
    acc = ctx.node1("Sub", [acc, _i64(ctx, ma * qa.zero_point + mb * qb.zero_point, "zp_terms")])
    lo = _relu_min(qy.zero_point, op.type.endswith("Relu"))
    _finish(ctx, op.output[0], lambda out: _to_uint8(ctx, _shift_round_half_away(ctx, acc, shift), qy.zero_point, lo, out), qy)


def average_pool(ctx, op, args) -> None:
    from ...ops.int8 import avgpool_multiplier

    _check_nhwc(args, op.type)
    x = ctx.input(op.input[0])
    qx = _quant(ctx, x, op.input[0])
    xs = ctx.shape(x)
    if xs is None or len(xs) != 4 or not all(isinstance(d, int) for d in xs[1:]):
        raise C2Error(f"the exact Int8 form needs a static N x H x W x C shape for '{op.input[0]}', got {xs}")
    c = xs[3]
    if args.int("global_pooling"):
        kernel, strides, pads = [xs[1], xs[2]], [1, 1], [0] * 8
    else:
        kernel, strides, _, _, _ = geometry(args, 2, pool=True)
        pads, strides, _ = _pads_nchw(ctx, args, xs[1:3], kernel)
    qy = _out_quant(args)
    multiplier, shift = avgpool_multiplier(qx.scale, qy.scale, kernel[0] * kernel[1])
    if not (1 <= shift < 64):
        raise C2Error(f"{op.type}: requantization scale out of QNNPACK's range")
    xp = _padded_nchw(ctx, x, op.input[0], pads, qx.zero_point)
    ones = ctx.const(np.ones((c, 1, kernel[0], kernel[1]), np.uint8), "window_ones")
    acc = ctx.node1("ConvInteger", [xp, ones, ctx.const(np.uint8(qx.zero_point), "x_zp", np.uint8),
                                    ctx.const(np.uint8(0), "w_zp", np.uint8)],
                    kernel_shape=kernel, strides=strides, group=c)
    product = ctx.node1("Mul", [_cast(ctx, acc, TensorProto.INT64), _i64(ctx, multiplier, "pool_mult")])
    adjusted = ctx.node1("Sub", [product, _cast(ctx, ctx.node1("Less", [product, _i64(ctx, 0, "zero")]), TensorProto.INT64)])
    if shift >= 63:
        n = ctx.node1("Mul", [adjusted, _i64(ctx, 0, "zero")])  # |adjusted| < 2^56: rounds to 0
    else:
        n = _floor_shift(ctx, ctx.node1("Add", [adjusted, _i64(ctx, 1 << (shift - 1), "half")]), shift)
    lo = _relu_min(qy.zero_point, op.type.endswith("Relu"))
    _finish(ctx, op.output[0], lambda out: _nhwc_out(ctx, _to_uint8(ctx, n, qy.zero_point, lo), out), qy)


def _reduce(ctx, op_type, x, axis):
    new_style = ctx.opset >= (18 if op_type == "ReduceMax" else 13)
    if new_style:
        return ctx.node1(op_type, [x, _i64(ctx, [axis], "axes")], keepdims=1)
    return ctx.node1(op_type, [x], axes=[axis], keepdims=1)


def softmax(ctx, op, args) -> None:
    from ...ops.int8 import softmax_table

    qy = _out_quant(args)
    if qy.zero_point != 0 or qy.scale != 1.0 / 256.0:
        raise C2Error(f"Int8Softmax needs Y_scale 1/256 and Y_zero_point 0 (as Caffe2), got {qy.scale:g} and {qy.zero_point}")
    x = ctx.input(op.input[0])
    qx = _quant(ctx, x, op.input[0])
    xs = ctx.shape(x)
    if xs is None or len(xs) < 1 or not all(isinstance(d, int) for d in xs[1:]):
        raise C2Error(f"the exact Int8 form needs a static shape (but the batch) for '{op.input[0]}', got {xs}")
    channels = int(np.prod(xs[1:])) if len(xs) > 1 else 1
    rows = _cast(ctx, ctx.node1("Flatten", [x], axis=1), TensorProto.INT64)
    idx = ctx.node1("Add", [ctx.node1("Sub", [rows, _reduce(ctx, "ReduceMax", rows, 1)]), _i64(ctx, 255, "c255")])
    t = ctx.node1("Gather", [_i64(ctx, softmax_table(channels, qx.scale), "exp_table"), idx])
    total = _reduce(ctx, "ReduceSum", t, 1)
    num = ctx.node1("Add", [ctx.node1("Mul", [t, _i64(ctx, 256, "c256")]), ctx.node1("Div", [total, _i64(ctx, 2, "c2")])])
    q = ctx.node1("Min", [ctx.node1("Div", [num, total]), _i64(ctx, 255, "c255")])
    q = _cast(ctx, q, TensorProto.UINT8)
    _finish(ctx, op.output[0], lambda out: ctx.node1("Reshape", [q, ctx.shape_of(x)], out), Quant(1.0 / 256.0, 0))


def table(ctx, op, args) -> None:
    from ...ops import int8 as k

    x = ctx.input(op.input[0])
    qx = _quant(ctx, x, op.input[0])
    qy = _out_quant(args)
    try:
        if op.type == "Int8Sigmoid":
            tab = k.sigmoid_table(qx.scale, qx.zero_point, qy.scale, qy.zero_point)
        else:
            tab = k.leaky_relu_table(qx.scale, qx.zero_point, qy.scale, qy.zero_point, args.float("alpha"))
    except ValueError as e:
        raise C2Error(str(e)) from None
    idx = _cast(ctx, x, TensorProto.INT32)
    _finish(ctx, op.output[0], lambda out: ctx.node1("Gather", [ctx.const(tab.astype(np.uint8), f"{op.type}_table"), idx], out), qy)


def quantize(ctx, op, args) -> None:
    """Int8Quantize as the executor: round(x / scale) in float32 (half to even), + zp, saturate."""
    x = ctx.input(op.input[0])
    qy = _out_quant(args)
    if ctx.elem_type(x) != TensorProto.FLOAT:
        x = _cast(ctx, x, TensorProto.FLOAT)
    r = ctx.node1("Round", [ctx.node1("Div", [x, ctx.const(np.float32(qy.scale), "scale", np.float32)])])
    r = ctx.node1("Clip", [ctx.node1("Add", [r, ctx.const(np.float32(qy.zero_point), "zp", np.float32)]),
                           ctx.const(np.float32(0), "qmin", np.float32), ctx.const(np.float32(255), "qmax", np.float32)])
    _finish(ctx, op.output[0], lambda out: ctx.node1("Cast", [r], out, to=TensorProto.UINT8), qy)


EXPORTERS = {
    "Int8Quantize": quantize,
    "Int8Conv": conv, "Int8ConvRelu": conv, "Int8FC": fc,
    "Int8Add": add, "Int8Sum": add, "Int8AddRelu": add, "Int8SumRelu": add,
    "Int8AveragePool": average_pool, "Int8AveragePoolRelu": average_pool,
    "Int8Softmax": softmax, "Int8Sigmoid": table, "Int8LeakyRelu": table,
}
assert set(EXPORTERS) == EXACT_OPS
