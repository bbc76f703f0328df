"""Caffe2's quantized `Int8*` operators on PyTorch, matching Caffe2's integer math.

Caffe2 keeps a quantized blob as an `Int8TensorCPU`: uint8 values plus the
`scale` and `zero_point` that give them meaning (real = scale * (q - zp)).
Here that blob is a `QTensor`; kernels take and return `QTensor`s and the
runtime passes them between ops like any other value.

Arithmetic follows the QNNPACK kernels Caffe2 ran (its last versions), so
results are bit-exact rather than "close":
- Int8Quantize: q = clamp(zp + nearbyint(x / scale)) in float32 (half to even).
- Int8Conv / Int8ConvRelu / Int8FC: exact int32 accumulators
  sum((x - x_zp) * (w - w_zp)) + bias, requantized with QNNPACK's Q31 fixed
  point multiplier (scale = x_scale * w_scale / y_scale in float32, mantissa
  as multiplier, a rounding-half-up high multiply then a rounding-half-away
  shift). Caffe2 rejects scale >= 1; here it falls back to round-half-away.
- Int8Add / Int8Sum (+Relu): QNNPACK's add: a·ma + b·mb - (ma·a_zp + mb·b_zp)
  with multipliers (a_scale / y_scale)·2^shift rounded to integers below 2^22,
  then a rounding-half-away right shift (Caffe2's last Int8Add; earlier ones
  used a gemmlowp pipeline that can differ by 1 LSB).
- Int8AveragePool: QNNPACK's average pooling: the window sum over the whole
  kernel (padding counts as zero_point), times input_scale / (output_scale *
  kernel_size) as a 24-bit multiplier, rounded half away from zero.
- Int8Softmax: QNNPACK's lookup table (softmax over all but the batch axis,
  output scale 1/256, zero point 0).
- Int8LeakyRelu: QNNPACK's float32 lookup table (bit-exact).
- Int8Sigmoid: a float32 lookup table like QNNPACK's; exp() may differ from
  the C library's by an ulp, so results can differ by 1 LSB in rare ties.
- Max pooling, ReLU, Concat, Reshape, Flatten, Transpose, ChannelShuffle and
  ResizeNearest move values without arithmetic (scale and zero point kept).
Not implemented: Int8ConvTranspose (its weight layout as passed to QNNPACK is
ambiguous in Caffe2's source), Int8Slice, Int8RoIAlign.
Int8 ops work in NHWC (the only order Caffe2 supports for them).

Note for the runtime: weights created by `Int8GivenTensorFill` /
`Int8GivenIntTensorFill` carry `scale` / `zero_point`; turn them into values
with `weight_to_value(weight)`, which returns a `QTensor` for such weights and
None for ordinary ones. A `QTensor` reaching the outputs of a run converts
with `numpy()` (the raw uint8 values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ._arrays import contiguous
from .registry import register


@dataclass
class QTensor:
    """A quantized blob: integer `values` with the affine `scale`/`zero_point`."""

    values: torch.Tensor
    scale: float
    zero_point: int

    @property
    def shape(self):
        return self.values.shape

    @property
    def dtype(self):
        return self.values.dtype

    def dim(self) -> int:
        return self.values.dim()

    def numel(self) -> int:
        return self.values.numel()

    def numpy(self) -> np.ndarray:
        return self.values.numpy()

    def __array__(self, dtype=None, copy=None):
        a = self.values.numpy()
        return a.astype(dtype) if dtype is not None else a

    def dequantize(self) -> torch.Tensor:
        return (self.values.to(torch.int32) - self.zero_point).to(torch.float32) * np.float32(self.scale)

    def __repr__(self):
        return f"QTensor(shape={list(self.values.shape)}, dtype={self.values.dtype}, scale={self.scale:g}, zero_point={self.zero_point})"


def weight_to_value(weight) -> QTensor | None:
    """A `QTensor` for an Int8 fill's `fills.Weight`, None for other weights."""
    if getattr(weight, "scale", None) is None:
        return None
    arr = contiguous(weight.array)
    if not arr.flags.writeable:
        arr = arr.copy()
    return QTensor(torch.from_numpy(arr), float(weight.scale), int(weight.zero_point or 0))


# --------------------------------------------------------------------------
# Scalar helpers: Caffe2 keeps scales as float32, so every product of scales
# is rounded to float32 exactly as the C++ code does.


def _f32(x) -> np.float32:
    return np.float32(x)


def _qtensor(x, what: str) -> QTensor:
    if not isinstance(x, QTensor):
        raise TypeError(f"{what} must be an Int8 blob (scale and zero point), got {type(x).__name__}")
    return x


def _ints(x) -> torch.Tensor:
    """Values of a QTensor (or a plain tensor) as int64."""
    v = x.values if isinstance(x, QTensor) else x
    return v.to(torch.int64)


def _out_params(ctx) -> tuple[float, int]:
    return float(_f32(ctx.args.float("Y_scale"))), ctx.args.int("Y_zero_point")


def quantize_uint8(x: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    """Caffe2's `QuantizeUint8`: zp + nearbyint(x / scale), saturated to uint8."""
    x = x.to(torch.float32)
    # a true elementwise division (a scalar divisor may become a reciprocal multiply)
    q = torch.round(torch.div(x, torch.full_like(x, float(_f32(scale))))).to(torch.float64) + zero_point
    return q.clamp(0, 255).to(torch.uint8)


def _relu_min(scale: float, zero_point: int, relu: bool) -> int:
    # activationLimits(RELU).first = QuantizeUint8(scale, zp, 0.0) = clamp(zp)
    return min(max(zero_point, 0), 255) if relu else 0


def requantize_q31(acc: torch.Tensor, scale: np.float32, zero_point: int, qmin: int = 0, qmax: int = 255) -> torch.Tensor:
    """QNNPACK's conv/FC requantization of int32 accumulators (bit-exact).

    The float32 `scale`'s 24-bit mantissa becomes a Q31 multiplier; the high
    multiply rounds half up, the final right shift rounds half away from zero.
    """
    scale = _f32(scale)
    if not (0 < scale < 1):
        # QNNPACK refuses these; keep going with exact round-half-away.
        y = acc.to(torch.float64) * float(scale)
        y = torch.sign(y) * torch.floor(torch.abs(y) + 0.5)
        return (y + zero_point).clamp(qmin, qmax).to(torch.uint8)
    multiplier, shift = q31_multiplier(scale)
    if shift >= 32:  # scale < 2**-32: everything rounds to zero
        return torch.full(acc.shape, min(max(zero_point, qmin), qmax), dtype=torch.uint8, device=acc.device)
    acc = acc.to(torch.int64)
    q31 = (acc * multiplier + (1 << 30)) >> 31
    mask = (1 << shift) - 1
    remainder = (q31 & mask) - (q31 < 0).to(torch.int64)
    n = (q31 >> shift) + (remainder > (mask >> 1)).to(torch.int64)
    return (n + zero_point).clamp(qmin, qmax).to(torch.uint8)


def q31_multiplier(scale) -> tuple[int, int]:
    """(Q31 multiplier, right shift) of a float32 requantization scale in (0, 1), as QNNPACK."""
    bits = int(np.array(_f32(scale), dtype=np.float32).view(np.uint32))
    return ((bits & 0x007FFFFF) | 0x00800000) << 7, 127 + 31 - 32 - (bits >> 23)


def avgpool_multiplier(x_scale, y_scale, kernel_size: int) -> tuple[int, int]:
    """(24-bit multiplier, right shift) of QNNPACK's average-pool requantization."""
    scale = _f32(x_scale) / (_f32(y_scale) * _f32(kernel_size))
    bits = int(np.array(scale, dtype=np.float32).view(np.uint32))
    return (bits & 0x007FFFFF) | 0x00800000, 127 + 23 - (bits >> 23)


def _round_half_away_pot(product: torch.Tensor, shift: int) -> torch.Tensor:
    """product / 2**shift rounded half away from zero (QNNPACK avgpool)."""
    adjusted = product - (product < 0).to(torch.int64)
    return (adjusted + (1 << (shift - 1))) >> shift


# --------------------------------------------------------------------------
# Quantize / dequantize / fills


@register("Int8Quantize", prepare=lambda ctx: _out_params(ctx))
def int8_quantize(ctx, x):
    scale, zp = ctx.state
    return QTensor(quantize_uint8(x, scale, zp), scale, zp)


@register("Int8Dequantize")
def int8_dequantize(ctx, x):
    return _qtensor(x, "Int8Dequantize input").dequantize()


def _prepare_fill(ctx) -> QTensor:
    from ..fills import run_fill

    (w,) = run_fill(ctx.op, ctx.index)
    return weight_to_value(w)


@register("Int8GivenTensorFill", "Int8GivenIntTensorFill", prepare=_prepare_fill)
def int8_given_fill(ctx):
    """A fill inside a predict net: values parsed once, at prepare time."""
    return ctx.state


# --------------------------------------------------------------------------
# Convolution and fully connected


def _check_nhwc(ctx):
    order = ctx.args.str("order").upper()
    if order != "NHWC":
        raise ValueError(f"{ctx.type} supports only order NHWC (Caffe2 has no NCHW Int8 kernels), got {order}")


class _WindowState:
    """Parsed once per op: window geometry, output quantization, ReLU floor."""

    __slots__ = ("geo", "group", "y_scale", "y_zero_point", "relu")


def _prepare_window(ctx) -> _WindowState:
    from ._geometry import parse_geometry

    _check_nhwc(ctx)
    s = _WindowState()
    s.geo = parse_geometry(ctx.args, 2, kernel_from=[1, 1] if "Conv" in ctx.type else None)
    s.group = ctx.args.int("group")
    s.y_scale, s.y_zero_point = _out_params(ctx)
    s.relu = ctx.type.endswith("Relu")
    return s


def _window_pads(geo, spatial, kernel) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) padding for this input size (legacy_pad aware)."""
    from ._geometry import size_and_pad

    heads, tails = [], []
    for i in range(2):
        _, h, t = size_and_pad(int(spatial[i]), int(kernel[i]), geo.stride[i], geo.dilation[i], geo.pads[i], geo.pads[i + 2], geo.legacy)
        heads.append(h)
        tails.append(t)
    return heads[0], heads[1], tails[0], tails[1]


def _conv_acc(x: QTensor, w: QTensor, b, stride, pads, dilation, group) -> torch.Tensor:
    """int32 accumulators of a quantized NHWC conv, computed exactly in float64."""
    xf = (x.values.to(torch.float64) - x.zero_point).permute(0, 3, 1, 2)
    wf = (w.values.to(torch.float64) - w.zero_point).permute(0, 3, 1, 2)
    pt, pl, pb, pr = pads
    if any(pads):
        xf = F.pad(xf, (pl, pr, pt, pb))  # zero after subtracting the zero point
    acc = F.conv2d(xf, wf, None, stride=stride, dilation=dilation, groups=group)
    acc = torch.round(acc).to(torch.int64)
    if b is not None:
        acc = acc + _ints(b).reshape(1, -1, 1, 1)
    return acc.permute(0, 2, 3, 1)


@register("Int8Conv", "Int8ConvRelu", prepare=_prepare_window)
def int8_conv(ctx, x, w, b=None):
    s = ctx.state
    x, w = _qtensor(x, f"{ctx.type} input X"), _qtensor(w, f"{ctx.type} filter")
    if x.values.dim() != 4 or w.values.dim() != 4:
        raise ValueError(f"{ctx.type} expects 4-D NHWC X and M×KH×KW×(C/group) W, got {list(x.shape)} and {list(w.shape)}")
    if w.values.shape[3] * s.group != x.values.shape[3]:
        raise ValueError(f"{ctx.type}: filter {list(w.shape)} with group {s.group} does not fit {x.values.shape[3]} input channels")
    geo = s.geo
    pads4 = _window_pads(geo, x.values.shape[1:3], w.values.shape[1:3])
    acc = _conv_acc(x, w, b, geo.stride, pads4, geo.dilation, s.group)
    scale = _f32(x.scale) * _f32(w.scale) / _f32(s.y_scale)
    lo = _relu_min(s.y_scale, s.y_zero_point, s.relu)
    return QTensor(requantize_q31(acc, scale, s.y_zero_point, lo, 255), s.y_scale, s.y_zero_point)


@register("Int8FC", prepare=lambda ctx: _out_params(ctx))
def int8_fc(ctx, x, w, b=None):
    x, w = _qtensor(x, "Int8FC input X"), _qtensor(w, "Int8FC weight")
    k = int(np.prod(x.values.shape[1:])) if x.values.dim() > 1 else 1
    xf = x.values.reshape(-1, k).to(torch.float64) - x.zero_point
    wf = w.values.reshape(w.values.shape[0], -1).to(torch.float64) - w.zero_point
    if wf.shape[1] != k:
        raise ValueError(f"Int8FC: X {list(x.shape)} has {k} features per row but W is {list(w.shape)}")
    acc = torch.round(xf @ wf.T).to(torch.int64)
    if b is not None:
        acc = acc + _ints(b).reshape(1, -1)
    ys, yzp = ctx.state
    scale = _f32(x.scale) * _f32(w.scale) / _f32(ys)
    return QTensor(requantize_q31(acc, scale, yzp), ys, yzp)


# --------------------------------------------------------------------------
# Element-wise


def _add_params(a_scale: float, b_scale: float, y_scale: float):
    """QNNPACK's add requantization: two multipliers below 2**22 and a shift."""
    a_out = _f32(_f32(a_scale) / _f32(y_scale))
    b_out = _f32(_f32(b_scale) / _f32(y_scale))
    for v in (a_out, b_out):
        if not (2.0 ** -14 <= float(v) < 2.0 ** 8):
            raise ValueError(f"input/output scale ratio {float(v):g} is outside QNNPACK's range [2^-14, 2^8)")
    bits = int(np.array(max(a_out, b_out), dtype=np.float32).view(np.uint32))
    exponent = (bits >> 23) - 127
    shift = 21 - exponent
    factor = _f32(2.0 ** shift)
    a_mult = int(np.rint(_f32(a_out * factor)))  # lrintf: half to even
    b_mult = int(np.rint(_f32(b_out * factor)))
    return a_mult, b_mult, shift


def _int8_add(ctx, a, b, relu):
    a, b = _qtensor(a, f"{ctx.type} input 0"), _qtensor(b, f"{ctx.type} input 1")
    if a.values.shape != b.values.shape:
        raise ValueError(f"{ctx.type} needs inputs of the same shape (no broadcasting), got {list(a.shape)} and {list(b.shape)}")
    ys, yzp = ctx.state
    a_mult, b_mult, shift = _add_params(a.scale, b.scale, ys)
    acc = _ints(a) * a_mult + _ints(b) * b_mult - (a_mult * a.zero_point + b_mult * b.zero_point)
    mask = (1 << shift) - 1
    remainder = (acc & mask) - (acc < 0).to(torch.int64)
    y = (acc >> shift) + (remainder > (mask >> 1)).to(torch.int64) + yzp
    return QTensor(y.clamp(_relu_min(ys, yzp, relu), 255).to(torch.uint8), ys, yzp)


@register("Int8Add", "Int8Sum", prepare=lambda ctx: _out_params(ctx))
def int8_add(ctx, a, b):
    return _int8_add(ctx, a, b, relu=False)


@register("Int8AddRelu", "Int8SumRelu", prepare=lambda ctx: _out_params(ctx))
def int8_add_relu(ctx, a, b):
    return _int8_add(ctx, a, b, relu=True)


@register("Int8Relu")
def int8_relu(ctx, x):
    x = _qtensor(x, "Int8Relu input")
    return QTensor(x.values.clamp(min=min(max(x.zero_point, 0), 255)), x.scale, x.zero_point)


@register("Int8Sigmoid", prepare=lambda ctx: _out_params(ctx))
def int8_sigmoid(ctx, x):
    x = _qtensor(x, "Int8Sigmoid input")
    ys, yzp = ctx.state
    table = torch.from_numpy(sigmoid_table(x.scale, x.zero_point, ys, yzp)).to(x.values.device)
    return QTensor(table[x.values.to(torch.int64)], ys, yzp)


def sigmoid_table(x_scale: float, x_zero_point: int, y_scale: float, y_zero_point: int) -> np.ndarray:
    """Int8Sigmoid's 256-entry uint8 table (shared with the exact ONNX export)."""
    levels = torch.arange(256, dtype=torch.float32) - x_zero_point
    real = levels * torch.tensor(_f32(x_scale))
    table = ((1.0 / (1.0 + torch.exp(-real))) / torch.tensor(_f32(y_scale)) + y_zero_point).clamp(0, 255)
    return torch.round(table).to(torch.uint8).numpy()


def _prepare_leaky(ctx):
    ys, yzp = _out_params(ctx)
    return ys, yzp, _f32(ctx.args.float("alpha"))


@register("Int8LeakyRelu", prepare=_prepare_leaky)
def int8_leaky_relu(ctx, x):
    """QNNPACK's lookup table: y = x·(x<0 ? alpha : 1) in output units, float32."""
    x = _qtensor(x, "Int8LeakyRelu input")
    ys, yzp, alpha = ctx.state
    table = torch.from_numpy(leaky_relu_table(x.scale, x.zero_point, ys, yzp, alpha)).to(x.values.device)
    return QTensor(table[x.values.to(torch.int64)], ys, yzp)


def leaky_relu_table(x_scale: float, x_zero_point: int, y_scale: float, y_zero_point: int, alpha: float) -> np.ndarray:
    """Int8LeakyRelu's 256-entry uint8 table (shared with the exact ONNX export)."""
    ratio = _f32(_f32(x_scale) / _f32(y_scale))
    if not (2.0 ** -8 <= float(ratio) < 2.0 ** 8):
        raise ValueError(f"Int8LeakyRelu: input/output scale ratio {float(ratio):g} outside QNNPACK's [2^-8, 2^8)")
    levels = torch.arange(256, dtype=torch.float32) - x_zero_point
    v = levels * float(ratio)
    v = torch.where(v < 0, v * float(_f32(alpha)), v).clamp(-y_zero_point, 255 - y_zero_point)
    return (torch.round(v) + y_zero_point).to(torch.uint8).numpy()


def softmax_table(channels: int, input_scale: float) -> np.ndarray:
    """QNNPACK's softargmax lookup: exp((i - 255) * scale), scaled to uint32."""
    qscale = min(float(np.iinfo(np.uint32).max) / channels, 8388607.0)
    i = np.arange(256, dtype=np.float64)
    return np.rint(qscale * np.exp((i - 255.0) * float(_f32(input_scale)))).astype(np.int64)


def _prepare_softmax(ctx):
    ys, yzp = _out_params(ctx)
    if yzp != 0 or ys != 1.0 / 256.0:
        raise ValueError(f"Int8Softmax needs Y_scale 1/256 and Y_zero_point 0 (as Caffe2), got {ys:g} and {yzp}")
    return ys, yzp


@register("Int8Softmax", prepare=_prepare_softmax)
def int8_softmax(ctx, x):
    x = _qtensor(x, "Int8Softmax input")
    ys, yzp = ctx.state
    n = x.values.shape[0] if x.values.dim() else 1
    rows = x.values.reshape(n, -1).to(torch.int64)
    table = torch.from_numpy(softmax_table(rows.shape[1], x.scale)).to(rows.device)
    t = table[rows - rows.max(dim=1, keepdim=True).values + 255]
    total = t.sum(dim=1, keepdim=True)
    q = torch.div((t << 8) + (total >> 1), total, rounding_mode="floor").clamp(max=255)
    return QTensor(q.to(torch.uint8).reshape(x.values.shape), ys, yzp)


# --------------------------------------------------------------------------
# Pooling


def _pool_window(s: _WindowState, x: QTensor):
    """(kernel, stride, (t, l, b, r)) of a pooling op for this NHWC input."""
    h, w = int(x.values.shape[1]), int(x.values.shape[2])
    if s.geo.global_pooling:
        return (h, w), (1, 1), (0, 0, 0, 0)
    kernel = tuple(s.geo.kernel)
    return kernel, tuple(s.geo.stride), _window_pads(s.geo, (h, w), kernel)


@register("Int8AveragePool", "Int8AveragePoolRelu", prepare=_prepare_window)
def int8_average_pool(ctx, x):
    s = ctx.state
    x = _qtensor(x, f"{ctx.type} input")
    (kh, kw), stride, (pt, pl, pb, pr) = _pool_window(s, x)
    ys, yzp = s.y_scale, s.y_zero_point
    xf = (x.values.to(torch.float64) - x.zero_point).permute(0, 3, 1, 2)
    xf = F.pad(xf, (pl, pr, pt, pb))  # padding holds the zero point: adds 0
    acc = F.avg_pool2d(xf, (kh, kw), stride=stride, divisor_override=1)
    acc = torch.round(acc).to(torch.int64).permute(0, 2, 3, 1)
    multiplier, shift = avgpool_multiplier(x.scale, ys, kh * kw)
    if not (1 <= shift < 64):
        raise ValueError(f"{ctx.type}: requantization scale {float(_f32(x.scale) / (_f32(ys) * _f32(kh * kw))):g} out of QNNPACK's range")
    y = _round_half_away_pot(acc * multiplier, shift) + yzp
    return QTensor(y.clamp(_relu_min(ys, yzp, s.relu), 255).to(torch.uint8).contiguous(), ys, yzp)


@register("Int8MaxPool", "Int8MaxPoolRelu", prepare=_prepare_window)
def int8_max_pool(ctx, x):
    s = ctx.state
    x = _qtensor(x, f"{ctx.type} input")
    (kh, kw), stride, (pt, pl, pb, pr) = _pool_window(s, x)
    xf = x.values.to(torch.float32).permute(0, 3, 1, 2)
    xf = F.pad(xf, (pl, pr, pt, pb), value=-1.0)  # padding never wins the max
    y = F.max_pool2d(xf, (kh, kw), stride=stride).permute(0, 2, 3, 1)
    lo = _relu_min(x.scale, x.zero_point, s.relu)
    return QTensor(y.clamp(lo, 255).to(torch.uint8).contiguous(), x.scale, x.zero_point)


# --------------------------------------------------------------------------
# Layout ops: values move, scale and zero point stay.


def _same_params(x: QTensor, values: torch.Tensor) -> QTensor:
    return QTensor(values.contiguous(), x.scale, x.zero_point)


def reshape_target(old_shape, new_shape) -> list[int]:
    """Caffe2 Reshape's rule: 0 copies the input dim, -1 takes the rest."""
    shape = [int(old_shape[i]) if d == 0 and i < len(old_shape) else int(d) for i, d in enumerate(new_shape)]
    if shape.count(-1) > 1:
        raise ValueError(f"Reshape: more than one -1 in {list(new_shape)}")
    total = int(np.prod(old_shape)) if len(old_shape) else 1
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1])) if len(shape) > 1 else 1
        shape[shape.index(-1)] = total // known if known else 0
    if int(np.prod(shape)) != total:
        raise ValueError(f"Reshape: cannot reshape {list(old_shape)} to {list(new_shape)}")
    return shape


@register("Int8Reshape", prepare=lambda ctx: ctx.args.ints("shape"), view=True)
def int8_reshape(ctx, x, shape=None):
    x = _qtensor(x, "Int8Reshape input")
    target = ctx.state if shape is None else [int(v) for v in shape.reshape(-1).tolist()]
    if target is None:
        raise ValueError("Int8Reshape needs a `shape` argument or a second input")
    y = _same_params(x, x.values.reshape(reshape_target(list(x.shape), target)))
    if len(ctx.op.output) > 1:
        return y, torch.tensor(list(x.shape), dtype=torch.int64)
    return y


@register("Int8Flatten", prepare=lambda ctx: ctx.args.int("axis"), view=True)
def int8_flatten(ctx, x):
    x = _qtensor(x, "Int8Flatten input")
    axis = ctx.state
    s = list(x.shape)
    return _same_params(x, x.values.reshape(int(np.prod(s[:axis])), int(np.prod(s[axis:]))))


@register("Int8Transpose", prepare=lambda ctx: ctx.args.ints("axes"))
def int8_transpose(ctx, x):
    x = _qtensor(x, "Int8Transpose input")
    axes = ctx.state or list(range(x.values.dim()))[::-1]
    return _same_params(x, x.values.permute(*axes))


def _prepare_concat(ctx) -> int:
    # Caffe2's Int8Concat: the default axis depends on whether `order` is given.
    default = {"NHWC": 3, "NCHW": 1}.get(ctx.args.str("order"), 0)
    return ctx.args.int("axis", default)


@register("Int8Concat", prepare=_prepare_concat)
def int8_concat(ctx, *xs):
    xs = [_qtensor(x, f"Int8Concat input {i}") for i, x in enumerate(xs)]
    axis = ctx.state
    y = QTensor(torch.cat([x.values for x in xs], dim=axis), xs[0].scale, xs[0].zero_point)
    if len(ctx.op.output) > 1:
        return y, torch.tensor([int(x.values.shape[axis]) for x in xs], dtype=torch.int32)
    return y


def _prepare_shuffle(ctx) -> int:
    _check_nhwc(ctx)
    return ctx.args.int("group")


@register("Int8ChannelShuffle", prepare=_prepare_shuffle)
def int8_channel_shuffle(ctx, x):
    x = _qtensor(x, "Int8ChannelShuffle input")
    g = ctx.state
    c = int(x.values.shape[-1])
    if c % g:
        raise ValueError(f"Int8ChannelShuffle: {c} channels do not split into {g} groups")
    v = x.values.reshape(-1, g, c // g).transpose(1, 2).reshape(x.values.shape)
    return _same_params(x, v)


@register("Int8ResizeNearest", prepare=lambda ctx: (_f32(ctx.args.float("width_scale")), _f32(ctx.args.float("height_scale"))))
def int8_resize_nearest(ctx, x):
    x = _qtensor(x, "Int8ResizeNearest input")
    ws, hs = ctx.state
    n, ih, iw, c = (int(d) for d in x.values.shape)
    oh, ow = int(_f32(ih) * hs), int(_f32(iw) * ws)
    dev = x.values.device
    iy = torch.tensor([min(int(_f32(y) / hs), ih - 1) for y in range(oh)], dtype=torch.int64, device=dev)
    ix = torch.tensor([min(int(_f32(v) / ws), iw - 1) for v in range(ow)], dtype=torch.int64, device=dev)
    return _same_params(x, x.values[:, iy][:, :, ix])
