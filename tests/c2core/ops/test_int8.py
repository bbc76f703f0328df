"""Int8 kernels against scalar references written from Caffe2's integer math.

References are per-element Python (exact integers and Fractions), written from
the definitions in caffe2/operators/quantized/*.h, QNNPACK's requantization and
gemmlowp's fixed-point helpers, not from c2core's vectorised code. Kernels must
match them exactly (tolerance 0 LSB), except Int8Sigmoid (±1 LSB: exp() in
float32 may differ from the C library's by an ulp). Each test also checks the
result lies within 1 LSB of the ideal real-valued answer, which catches a
reference and a kernel that are wrong in the same way.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction

import numpy as np
import pytest
import torch

from _b2_helpers import call_op
from c2core.fills import Weight
from c2core.ops.int8 import QTensor, weight_to_value

RNG = np.random.default_rng(1234)


def f32(x) -> float:
    return float(np.float32(x))


def q(arr, scale, zp) -> QTensor:
    return QTensor(torch.from_numpy(np.asarray(arr, dtype=np.uint8).copy()), f32(scale), int(zp))


def rand_u8(*shape):
    return RNG.integers(0, 256, size=shape, dtype=np.uint8)


def round_half_away(fr: Fraction) -> int:
    s = 1 if fr >= 0 else -1
    return s * math.floor(abs(fr) + Fraction(1, 2))


def ref_q31(acc: int, scale: float, zp: int, lo: int = 0, hi: int = 255) -> int:
    """QNNPACK: round-half-up(acc·mantissa / 2^24), then round-half-away by 2^shift."""
    bits = struct.unpack("<I", struct.pack("<f", scale))[0]
    mantissa = (bits & 0x7FFFFF) | 0x800000
    shift = 126 - (bits >> 23)
    v1 = math.floor(Fraction(acc * mantissa, 1 << 24) + Fraction(1, 2))
    v = round_half_away(Fraction(v1, 1 << shift))
    return min(max(v + zp, lo), hi)


def conv_scale(xs, ws, ys) -> float:
    return f32(np.float32(np.float32(xs) * np.float32(ws)) / np.float32(ys))


def ref_conv_acc(x, xzp, w, wzp, bias, stride, pads, dilation, group):
    """Naive NHWC conv accumulators (int64); pads = (t, l, b, r)."""
    n, h, wd, c = x.shape
    m, kh, kw, cg = w.shape
    pt, pl, pb, pr = pads
    oh = (h + pt + pb - (dilation[0] * (kh - 1) + 1)) // stride[0] + 1
    ow = (wd + pl + pr - (dilation[1] * (kw - 1) + 1)) // stride[1] + 1
    xi = x.astype(np.int64) - xzp
    wi = w.astype(np.int64) - wzp
    mg = m // group
    acc = np.zeros((n, oh, ow, m), dtype=np.int64)
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for oc in range(m):
                    g = oc // mg
                    s = int(bias[oc]) if bias is not None else 0
                    for ky in range(kh):
                        iy = oy * stride[0] - pt + ky * dilation[0]
                        if not 0 <= iy < h:
                            continue
                        for kx in range(kw):
                            ix = ox * stride[1] - pl + kx * dilation[1]
                            if not 0 <= ix < wd:
                                continue
                            s += int(np.dot(xi[b, iy, ix, g * cg:(g + 1) * cg], wi[oc, ky, kx]))
                    acc[b, oy, ox, oc] = s
    return acc


# ----------------------------------------------------------------------------


def test_quantize_rounds_half_to_even_and_saturates():
    scale, zp = 0.5, 10
    x = np.array([0.25, 0.75, -0.25, 1.25, 100.0, -100.0, 3.1, -4.9], dtype=np.float32)
    y = call_op("Int8Quantize", [torch.from_numpy(x)], Y_scale=scale, Y_zero_point=zp)
    # x/scale = .5, 1.5, -.5, 2.5, 200, -200, 6.2, -9.8 -> nearbyint half-to-even
    assert y.values.tolist() == [10, 12, 10, 12, 210, 0, 16, 0]
    assert (y.scale, y.zero_point) == (0.5, 10)


def test_quantize_random_matches_formula():
    x = RNG.normal(0, 3, size=(2, 5, 5, 3)).astype(np.float32)
    scale, zp = 0.037, 117
    y = call_op("Int8Quantize", [torch.from_numpy(x)], Y_scale=scale, Y_zero_point=zp)
    ref = np.clip(zp + np.rint(x / np.float32(scale)), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(y.values.numpy(), ref)


def test_dequantize_exact():
    v = rand_u8(3, 4)
    y = call_op("Int8Dequantize", [q(v, 0.1, 7)])
    ref = (v.astype(np.int32) - 7).astype(np.float32) * np.float32(0.1)
    assert y.dtype == torch.float32
    np.testing.assert_array_equal(y.numpy(), ref)


CONV_CASES = {
    "3x3_pad1": dict(c=4, m=5, k=(3, 3), stride=(1, 1), pads=(1, 1, 1, 1), dilation=(1, 1), group=1),
    "stride2_asym_pads": dict(c=3, m=4, k=(3, 2), stride=(2, 2), pads=(0, 1, 1, 0), dilation=(1, 1), group=1),
    "grouped": dict(c=4, m=6, k=(3, 3), stride=(1, 1), pads=(1, 1, 1, 1), dilation=(1, 1), group=2),
    "depthwise": dict(c=6, m=6, k=(3, 3), stride=(1, 1), pads=(1, 1, 1, 1), dilation=(1, 1), group=6),
    "dilated": dict(c=3, m=2, k=(3, 3), stride=(1, 1), pads=(2, 2, 2, 2), dilation=(2, 2), group=1),
    "1x1": dict(c=8, m=3, k=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), group=1),
}


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_int8_conv_bit_exact(case, relu):
    p = CONV_CASES[case]
    x = rand_u8(2, 7, 6, p["c"])
    w = rand_u8(p["m"], *p["k"], p["c"] // p["group"])
    bias = RNG.integers(-2000, 2000, size=p["m"]).astype(np.int32)
    xs, xzp, ws, wzp, yzp = 0.02, 128, 0.0031, 120, 100
    acc = ref_conv_acc(x, xzp, w, wzp, bias, p["stride"], p["pads"], p["dilation"], p["group"])
    ys = f32(acc.std() * f32(xs) * f32(ws) / 25)  # spreads the outputs over ~150 levels
    args = dict(kernels=list(p["k"]), strides=list(p["stride"]), pads=list(p["pads"]), dilations=list(p["dilation"]),
                group=p["group"], order="NHWC", Y_scale=ys, Y_zero_point=yzp)
    b = QTensor(torch.from_numpy(bias), f32(xs) * f32(ws), 0)
    y = call_op("Int8ConvRelu" if relu else "Int8Conv", [q(x, xs, xzp), q(w, ws, wzp), b], **args)
    scale = conv_scale(xs, ws, ys)
    lo = yzp if relu else 0
    ref = np.vectorize(lambda a: ref_q31(int(a), scale, yzp, lo))(acc).astype(np.uint8)
    assert y.values.shape == ref.shape
    np.testing.assert_array_equal(y.values.numpy(), ref)
    ideal = np.clip(np.round(acc * scale) + yzp, lo, 255)
    assert np.abs(ref.astype(np.int64) - ideal).max() <= 1
    assert (y.scale, y.zero_point) == (f32(ys), yzp)
    assert len(np.unique(ref)) > 20  # the case exercises more than saturation


def test_int8_conv_pad_spellings_agree():
    x, w = rand_u8(1, 5, 5, 2), rand_u8(3, 3, 3, 2)
    common = dict(kernel=3, order="NHWC", Y_scale=0.5, Y_zero_point=90)
    ins = [q(x, 0.05, 100), q(w, 0.01, 128), QTensor(torch.zeros(3, dtype=torch.int32), 0.0005, 0)]
    a = call_op("Int8Conv", ins, pad=1, **common)
    b = call_op("Int8Conv", ins, pad_t=1, pad_l=1, pad_b=1, pad_r=1, **common)
    np.testing.assert_array_equal(a.values.numpy(), b.values.numpy())
    assert a.values.shape == (1, 5, 5, 3)


def test_int8_conv_rejects_nchw():
    with pytest.raises(ValueError, match="NHWC"):
        call_op("Int8Conv", [q(rand_u8(1, 3, 3, 1), 1, 0), q(rand_u8(1, 1, 1, 1), 1, 0)], order="NCHW")


def test_int8_fc_bit_exact():
    x = rand_u8(3, 2, 2, 5)  # flattened to 3 x 20
    w = rand_u8(7, 20)
    bias = RNG.integers(-5000, 5000, size=7).astype(np.int32)
    xs, xzp, ws, wzp, ys, yzp = 0.05, 3, 0.004, 131, 0.9, 77
    y = call_op("Int8FC", [q(x, xs, xzp), q(w, ws, wzp), QTensor(torch.from_numpy(bias), xs * ws, 0)], Y_scale=ys, Y_zero_point=yzp)
    acc = (x.reshape(3, 20).astype(np.int64) - xzp) @ (w.astype(np.int64) - wzp).T + bias
    scale = conv_scale(xs, ws, ys)
    ref = np.vectorize(lambda a: ref_q31(int(a), scale, yzp))(acc).astype(np.uint8)
    np.testing.assert_array_equal(y.values.numpy(), ref)
    assert np.abs(ref - np.clip(np.round(acc * scale) + yzp, 0, 255)).max() <= 1


def ref_int8_add(a, azp, as_, b, bzp, bs, ys, yzp, lo):
    """QNNPACK's scalar add, element by element (qnnp_add_quantize)."""
    ra, rb = f32(np.float32(as_) / np.float32(ys)), f32(np.float32(bs) / np.float32(ys))
    exponent = math.frexp(max(ra, rb))[1] - 1  # unbiased float exponent
    shift = 21 - exponent
    ma = int(np.rint(np.float32(ra) * np.float32(2.0 ** shift)))
    mb = int(np.rint(np.float32(rb) * np.float32(2.0 ** shift)))
    assert 2**21 <= max(ma, mb) < 2**22
    out = np.empty(a.shape, dtype=np.uint8)
    for i, (va, vb) in enumerate(zip(a.ravel().tolist(), b.ravel().tolist())):
        acc = (va - azp) * ma + (vb - bzp) * mb
        v = round_half_away(Fraction(acc, 1 << shift)) + yzp
        out.ravel()[i] = min(max(v, lo), 255)
    return out


@pytest.mark.parametrize("op", ["Int8Add", "Int8Sum", "Int8AddRelu", "Int8SumRelu"])
def test_int8_add_bit_exact(op):
    a, b = rand_u8(2, 3, 4, 5), rand_u8(2, 3, 4, 5)
    as_, azp, bs, bzp, ys, yzp = 0.03, 120, 0.017, 90, 0.045, 60
    y = call_op(op, [q(a, as_, azp), q(b, bs, bzp)], Y_scale=ys, Y_zero_point=yzp)
    lo = yzp if op.endswith("Relu") else 0
    ref = ref_int8_add(a, azp, as_, b, bzp, bs, ys, yzp, lo)
    np.testing.assert_array_equal(y.values.numpy(), ref)
    real = (a.astype(np.float64) - azp) * f32(as_) + (b.astype(np.float64) - bzp) * f32(bs)
    ideal = np.clip(np.round(real / f32(ys)) + yzp, lo, 255)
    assert np.abs(ref - ideal).max() <= 1


def ref_avgpool(x, zp, xs, ys, yzp, k, stride, pads, lo=0):
    n, h, w, c = x.shape
    pt, pl, pb, pr = pads
    oh = (h + pt + pb - k[0]) // stride[0] + 1
    ow = (w + pl + pr - k[1]) // stride[1] + 1
    scale = f32(np.float32(xs) / (np.float32(ys) * np.float32(k[0] * k[1])))
    out = np.empty((n, oh, ow, c), dtype=np.uint8)
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    acc = 0
                    for ky in range(k[0]):
                        for kx in range(k[1]):
                            iy, ix = oy * stride[0] - pt + ky, ox * stride[1] - pl + kx
                            if 0 <= iy < h and 0 <= ix < w:
                                acc += int(x[b, iy, ix, ch]) - zp
                    v = round_half_away(Fraction(acc) * Fraction(scale)) + yzp
                    out[b, oy, ox, ch] = min(max(v, lo), 255)
    return out


@pytest.mark.parametrize("kind", ["3x3_pad1", "2x2_stride2", "global", "relu"])
def test_int8_average_pool_bit_exact(kind):
    x = rand_u8(2, 6, 6, 3)
    xs, xzp = 0.05, 100
    ys, yzp = 0.04, 110
    op = "Int8AveragePoolRelu" if kind == "relu" else "Int8AveragePool"
    if kind in ("3x3_pad1", "relu"):
        args, k, st, pads = dict(kernel=3, stride=1, pad=1), (3, 3), (1, 1), (1, 1, 1, 1)
    elif kind == "2x2_stride2":
        args, k, st, pads = dict(kernel=2, stride=2), (2, 2), (2, 2), (0, 0, 0, 0)
    else:
        args, k, st, pads = dict(global_pooling=1), (6, 6), (1, 1), (0, 0, 0, 0)
    y = call_op(op, [q(x, xs, xzp)], order="NHWC", Y_scale=ys, Y_zero_point=yzp, **args)
    ref = ref_avgpool(x, xzp, xs, ys, yzp, k, st, pads, lo=yzp if kind == "relu" else 0)
    np.testing.assert_array_equal(y.values.numpy(), ref)


def test_int8_max_pool_and_relu():
    x = rand_u8(1, 5, 5, 2)
    y = call_op("Int8MaxPool", [q(x, 0.1, 50)], kernel=3, stride=2, pad=1, order="NHWC", Y_scale=0.1, Y_zero_point=50)
    ref = np.zeros((1, 3, 3, 2), dtype=np.uint8)
    for oy in range(3):
        for ox in range(3):
            win = x[0, max(oy * 2 - 1, 0):oy * 2 + 2, max(ox * 2 - 1, 0):ox * 2 + 2]
            ref[0, oy, ox] = win.reshape(-1, 2).max(axis=0)
    np.testing.assert_array_equal(y.values.numpy(), ref)
    assert (y.scale, y.zero_point) == (f32(0.1), 50)
    r = call_op("Int8Relu", [q(x, 0.1, 50)], Y_scale=0.1, Y_zero_point=50)
    np.testing.assert_array_equal(r.values.numpy(), np.maximum(x, 50))


def test_int8_softmax_lookup_table():
    x = rand_u8(3, 10)
    xs = 0.08
    y = call_op("Int8Softmax", [q(x, xs, 17)], Y_scale=1.0 / 256, Y_zero_point=0)
    qscale = min((2**32 - 1) / 10, 8388607.0)
    table = [int(np.rint(qscale * math.exp((i - 255) * f32(xs)))) for i in range(256)]
    for r in range(3):
        mx = int(x[r].max())
        t = [table[int(v) - mx + 255] for v in x[r]]
        s = sum(t)
        ref = [min(((tv << 8) + (s >> 1)) // s, 255) for tv in t]
        assert y.values[r].tolist() == ref
        ideal = np.exp((x[r].astype(np.float64) - mx) * f32(xs))
        ideal = np.minimum(np.round(256 * ideal / ideal.sum()), 255)
        assert np.abs(np.array(ref) - ideal).max() <= 1


def test_int8_softmax_requires_caffe2_output_params():
    with pytest.raises(ValueError, match="1/256"):
        call_op("Int8Softmax", [q(rand_u8(1, 4), 0.1, 0)], Y_scale=0.5, Y_zero_point=0)


def test_int8_sigmoid_within_one_lsb():
    x = np.arange(256, dtype=np.uint8).reshape(1, 256)
    xs, xzp = 0.05, 128
    y = call_op("Int8Sigmoid", [q(x, xs, xzp)], Y_scale=1.0 / 256, Y_zero_point=0)
    real = (x.astype(np.float64) - xzp) * f32(xs)
    ideal = np.clip(np.round(256.0 / (1.0 + np.exp(-real))), 0, 255)
    assert np.abs(y.values.numpy().astype(np.int64) - ideal).max() <= 1  # ±1 LSB: exp() ulps


def test_layout_ops_keep_quantization():
    x = q(rand_u8(2, 3, 4, 6), 0.2, 9)
    r, old = call_op("Int8Reshape", [x], n_out=2, shape=[0, -1, 6])
    assert r.values.shape == (2, 12, 6) and old.tolist() == [2, 3, 4, 6]
    assert (r.scale, r.zero_point) == (x.scale, 9)
    np.testing.assert_array_equal(r.values.numpy(), x.values.numpy().reshape(2, 12, 6))
    f = call_op("Int8Flatten", [x], axis=2)
    np.testing.assert_array_equal(f.values.numpy(), x.values.numpy().reshape(6, 24))
    t = call_op("Int8Transpose", [x], axes=[0, 3, 1, 2])
    np.testing.assert_array_equal(t.values.numpy(), x.values.numpy().transpose(0, 3, 1, 2))
    x2 = q(rand_u8(2, 3, 4, 2), 0.2, 9)
    c, split = call_op("Int8Concat", [x, x2], n_out=2, order="NHWC", Y_scale=0.2, Y_zero_point=9)
    np.testing.assert_array_equal(c.values.numpy(), np.concatenate([x.values.numpy(), x2.values.numpy()], axis=3))
    assert split.tolist() == [6, 2]
    s = call_op("Int8ChannelShuffle", [x], group=2, order="NHWC", Y_scale=0.2, Y_zero_point=9)
    v = x.values.numpy()
    expect = np.stack([v[..., (i % 2) * 3 + i // 2] for i in range(6)], axis=-1)  # out[c'·G + g] = in[g·(C/G) + c']
    np.testing.assert_array_equal(s.values.numpy(), expect)


def test_int8_resize_nearest():
    x = q(rand_u8(1, 2, 3, 2), 0.5, 1)
    y = call_op("Int8ResizeNearest", [x], width_scale=2.0, height_scale=1.5, Y_scale=0.5, Y_zero_point=1)
    v = x.values.numpy()
    assert y.values.shape == (1, 3, 6, 2)
    for oy in range(3):
        for ox in range(6):
            np.testing.assert_array_equal(y.values.numpy()[0, oy, ox], v[0, min(int(oy / 1.5), 1), min(ox // 2, 2)])


def test_weight_to_value_and_fill_kernel():
    w = Weight("w", np.array([[1, 2], [3, 250]], dtype=np.uint8), "Int8GivenTensorFill", scale=0.25, zero_point=128)
    v = weight_to_value(w)
    assert isinstance(v, QTensor) and v.values.dtype == torch.uint8 and (v.scale, v.zero_point) == (0.25, 128)
    assert weight_to_value(Weight("f", np.zeros(3, np.float32), "GivenTensorFill")) is None
    fill = call_op("Int8GivenTensorFill", [], shape=[2, 2], values=np.array([1, 2, 3, 250], np.uint8).tobytes(), Y_scale=0.25, Y_zero_point=128)
    np.testing.assert_array_equal(fill.values.numpy(), w.array)
    assert (fill.scale, fill.zero_point) == (0.25, 128)
    dq = v.dequantize().numpy()
    np.testing.assert_array_equal(dq, (w.array.astype(np.float32) - 128) * np.float32(0.25))


# ---------------------------------------------------------------------------
# A whole quantized net through the Predictor, against the scalar references.


def test_quantized_net_through_predictor():
    from c2core.builder import model_from
    from c2core.builder import NetBuilder
    from c2core.runtime import Predictor

    x = RNG.normal(0, 1, size=(1, 6, 6, 3)).astype(np.float32)
    w1, w2, wf = rand_u8(4, 3, 3, 3), rand_u8(4, 3, 3, 4), rand_u8(5, 36)
    b1 = RNG.integers(-300, 300, 4).astype(np.int32)
    b2 = RNG.integers(-300, 300, 4).astype(np.int32)
    bf = RNG.integers(-300, 300, 5).astype(np.int32)
    xs, xzp = 0.02, 128
    s1, z1, s2, z2, sf, zf = 0.2, 120, 0.8, 100, 4.0, 130
    ws1, ws2, wsf, wz = 0.01, 0.012, 0.02, 125
    b = NetBuilder("qnet")
    b.op("Int8Quantize", "data", "xq", Y_scale=xs, Y_zero_point=xzp)
    b.op("Int8Conv", ["xq", "w1", "b1"], "c1", kernel=3, pad=1, order="NHWC", Y_scale=s1, Y_zero_point=z1)
    b.op("Int8ConvRelu", ["c1", "w2", "b2"], "c2", kernel=3, pad=1, order="NHWC", Y_scale=s2, Y_zero_point=z2)
    b.op("Int8AveragePool", "c2", "p", kernel=2, stride=2, order="NHWC", Y_scale=s2, Y_zero_point=z2)
    b.op("Int8FC", ["p", "wf", "bf"], "f", Y_scale=sf, Y_zero_point=zf)
    b.op("Int8Dequantize", "f", "fd")
    b.op("Softmax", "fd", "prob")
    b.inputs("data", "w1", "b1", "w2", "b2", "wf", "bf").outputs("prob")
    weights = {
        "w1": (w1, ws1, wz), "b1": (b1, f32(xs) * f32(ws1), 0),
        "w2": (w2, ws2, wz), "b2": (b2, f32(s1) * f32(ws2), 0),
        "wf": (wf, wsf, wz), "bf": (bf, f32(s2) * f32(wsf), 0),
    }
    pred = Predictor(model_from(b.net, weights))
    out = pred.run({"data": x}, fetch=["c2", "f"])

    xq = np.clip(xzp + np.rint(x / np.float32(xs)), 0, 255).astype(np.uint8)
    req = np.vectorize(ref_q31)
    a1 = ref_conv_acc(xq, xzp, w1, wz, b1, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    c1 = req(a1, conv_scale(xs, ws1, s1), z1).astype(np.uint8)
    a2 = ref_conv_acc(c1, z1, w2, wz, b2, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    c2 = req(a2, conv_scale(s1, ws2, s2), z2, z2).astype(np.uint8)
    np.testing.assert_array_equal(out["c2"], c2)
    pooled = ref_avgpool(c2, z2, s2, s2, z2, (2, 2), (2, 2), (0, 0, 0, 0))
    af = (pooled.reshape(1, 36).astype(np.int64) - z2) @ (wf.astype(np.int64) - wz).T + bf
    f = req(af, conv_scale(s2, wsf, sf), zf).astype(np.uint8)
    np.testing.assert_array_equal(out["f"], f)
    fd = (f.astype(np.float64) - zf) * f32(sf)
    prob = np.exp(fd - fd.max()) / np.exp(fd - fd.max()).sum()
    np.testing.assert_allclose(out["prob"], prob, rtol=1e-5, atol=1e-7)
    assert len(np.unique(c2)) > 10 and len(np.unique(f)) > 2


def test_int8_leaky_relu_table():
    x = np.arange(256, dtype=np.uint8).reshape(2, 128)
    xs, xzp, ys, yzp, alpha = 0.05, 120, 0.04, 60, 0.1
    y = call_op("Int8LeakyRelu", [q(x, xs, xzp)], alpha=alpha, Y_scale=ys, Y_zero_point=yzp)
    f = np.float32
    ratio = f(f(xs) / f(ys))
    ref = []
    for i in x.ravel().tolist():
        v = ratio * f(i - xzp)
        v = v * f(alpha) if v < 0 else v
        v = min(max(float(v), -yzp), 255 - yzp)
        ref.append(int(np.rint(v)) + yzp)
    assert y.values.ravel().tolist() == ref
    real = (x.astype(np.float64) - xzp) * f32(xs)
    ideal = np.clip(np.round(np.where(real < 0, real * alpha, real) / f32(ys)) + yzp, 0, 255)
    assert np.abs(y.values.numpy() - ideal).max() <= 1
