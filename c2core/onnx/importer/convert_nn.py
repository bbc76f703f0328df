"""Layers with weights or windows: Conv, pooling, BatchNormalization, Gemm, MatMul, Pad.

Windows are written in Caffe2's list spellings (`kernels`, `strides`,
`pads`, `dilations`); ONNX `pads` and Caffe2 `pads` share the order
[begin..., end...] (t, l, b, r in 2-D). `auto_pad` and `ceil_mode` are
resolved from static shapes into explicit pads, because Caffe2 has neither:
ceil mode becomes extra end padding, exact for MaxPool (padding never wins a
max) and for AveragePool without count_include_pad (padding is not counted).
A zero `Pad` whose only readers are Convs is folded into their pads (the TF
"SAME" convs of EfficientNet); other Pads become `PadImage`.
"""

from __future__ import annotations

import numpy as np

from .registry import register


def _window(ctx, node, a, x, kernel):
    """(strides, dilations, pads) with auto_pad resolved."""
    nd = len(kernel)
    strides = list(a.get("strides") or [1] * nd)
    dil = list(a.get("dilations") or [1] * nd)
    pads = list(a.get("pads") or [0] * (2 * nd))
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        spatial = ctx.static_shape(x, node)[2:]
        pads = [0] * (2 * nd)
        for i, (n, k, s, d) in enumerate(zip(spatial, kernel, strides, dil)):
            out = -(-n // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
            small, big = total // 2, total - total // 2
            pads[i], pads[nd + i] = (small, big) if auto == "SAME_UPPER" else (big, small)
    elif auto == "VALID":
        pads = [0] * (2 * nd)
    return strides, dil, pads


# ----- convolution -------------------------------------------------------------
def _check_conv(ctx, node, a):
    if ctx.shape(node.input[1]) is None:
        return "Conv whose weight shape is unknown"
    return None


@register("Conv", emits=("Conv",), check=_check_conv)
def conv(ctx, node, a):
    x, w = node.input[0], node.input[1]
    wshape = ctx.shape(w)
    kernel = list(a.get("kernel_shape") or wshape[2:])
    strides, dil, pads = _window(ctx, node, a, x, kernel)
    x = ctx.resolve(x)
    if x in ctx.folded_pads:
        x, extra = ctx.folded_pads[x]
        pads = [p + e for p, e in zip(pads, extra)]
    inputs = [ctx.blob(x), ctx.blob(w)]
    if len(node.input) > 2 and node.input[2]:
        inputs.append(ctx.blob(node.input[2]))
    ctx.emit("Conv", inputs, node.output[0], kernels=kernel, strides=strides, pads=pads,
             dilations=dil, group=int(a.get("group", 1)))


# ----- pooling -------------------------------------------------------------------
def _check_pool(ctx, node, a):
    if len(node.output) > 1 and node.output[1]:
        return f"{node.op_type} with an Indices output"
    if any(d != 1 for d in a.get("dilations") or []):
        return f"{node.op_type} with dilations"
    if a.get("ceil_mode") or a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        s = ctx.shape(node.input[0])
        if s is None or any(d is None for d in s[2:]):
            return f"{node.op_type} in ceil mode / auto_pad on an input of unknown size"
    if node.op_type == "AveragePool" and a.get("ceil_mode") and a.get("count_include_pad"):
        kernel = list(a["kernel_shape"])
        if _ceil_pads(ctx, node, a, kernel) != _window(ctx, node, a, node.input[0], kernel)[2]:
            return "AveragePool with ceil_mode and count_include_pad"
    return None


def _ceil_pads(ctx, node, a, kernel):
    """End pads that make Caffe2's floor arithmetic give ONNX's ceil-mode output size."""
    strides, _, pads = _window(ctx, node, a, node.input[0], kernel)
    spatial = ctx.static_shape(node.input[0], node)[2:]
    nd = len(kernel)
    pads = list(pads)
    for i, (n, k, s) in enumerate(zip(spatial, kernel, strides)):
        pb, pe = pads[i], pads[nd + i]
        out = -(-(n + pb + pe - k) // s) + 1
        if (out - 1) * s >= n + pb:  # the last window may not start in the end padding
            out -= 1
        pads[nd + i] = max(pe, (out - 1) * s + k - n - pb)
    return pads


@register("MaxPool", "AveragePool", emits=("MaxPool", "AveragePool"), check=_check_pool)
def pool(ctx, node, a):
    kernel = list(a["kernel_shape"])
    strides, _, pads = _window(ctx, node, a, node.input[0], kernel)
    if a.get("ceil_mode"):
        pads = _ceil_pads(ctx, node, a, kernel)
    args = dict(kernels=kernel, strides=strides, pads=pads)
    if node.op_type == "AveragePool":
        args["count_include_pad"] = int(a.get("count_include_pad", 0))
    ctx.emit(node.op_type, [ctx.blob(node.input[0])], node.output[0], **args)


@register("GlobalAveragePool", "GlobalMaxPool", emits=("AveragePool", "MaxPool"))
def global_pool(ctx, node, a):
    kind = "AveragePool" if node.op_type == "GlobalAveragePool" else "MaxPool"
    ctx.emit(kind, [ctx.blob(node.input[0])], node.output[0], global_pooling=1)


# ----- normalisation --------------------------------------------------------------
def _check_bn(ctx, node, a):
    if a.get("training_mode"):
        return "BatchNormalization in training mode"
    return None


@register("BatchNormalization", emits=("SpatialBN",), check=_check_bn)
def batch_norm(ctx, node, a):
    ins = [ctx.blob(n) for n in node.input[:5]]
    ctx.emit("SpatialBN", ins, node.output[0], is_test=1, epsilon=float(a.get("epsilon", 1e-5)), order="NCHW")


# ----- matrix products --------------------------------------------------------------
@register("Gemm", emits=("Add", "FC", "MatMul", "Scale"))
def gemm(ctx, node, a):
    A, B = node.input[0], node.input[1]
    C = node.input[2] if len(node.input) > 2 else ""
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    ta, tb = int(a.get("transA", 0)), int(a.get("transB", 0))
    out = node.output[0]
    Bc = ctx.const(B)
    if not ta and Bc is not None:
        W = Bc if tb else Bc.T
        n = W.shape[0]
        if alpha != 1.0:
            W = (W * alpha).astype(Bc.dtype)
        w = ctx.blob(B) if (tb and alpha == 1.0) else ctx.add_weight(B + ("_scaled" if tb else "_t"), W)
        Cc = ctx.const(C)
        bias_ok = Cc is not None and (Cc.ndim == 0 or Cc.shape in ((n,), (1, n), (1,), (1, 1)))
        if bias_ok:
            bias = np.broadcast_to(Cc.reshape(-1) * beta, (n,)).astype(np.float32)
            if beta == 1.0 and Cc.shape == (n,):
                b = ctx.blob(C)
            else:
                b = ctx.add_weight((C or out) + "_bias", bias)
            ctx.emit("FC", [ctx.blob(A), w, b], out)
            return
        zero = ctx.add_weight(out + "_zero_bias", np.zeros((n,), np.float32))
        if not C:
            ctx.emit("FC", [ctx.blob(A), w, zero], out)
            return
        prod = ctx.fresh(out + "_ab")
        ctx.emit("FC", [ctx.blob(A), w, zero], prod)
    else:
        prod = ctx.fresh(out + "_ab") if (C or alpha != 1.0) else out
        ctx.emit("MatMul", [ctx.blob(A), ctx.blob(B)], prod, trans_a=ta, trans_b=tb)
        if alpha != 1.0:
            scaled = ctx.fresh(out + "_alpha") if C else out
            ctx.emit("Scale", [prod], scaled, scale=alpha)
            prod = scaled
        if not C:
            return
    c = ctx.blob(C, like=A)
    if beta != 1.0:
        cs = ctx.fresh(out + "_beta_c")
        ctx.emit("Scale", [c], cs, scale=beta)
        c = cs
    ctx.emit("Add", [prod, c], out)


@register("MatMul", emits=("BatchMatMul", "FC", "MatMul"))
def matmul(ctx, node, a):
    A, B = node.input
    Bc = ctx.const(B)
    ra = ctx.rank(A, node)
    if Bc is not None and Bc.ndim == 2:
        # X[..., K] · B[K, N]: Caffe2 FC flattens X at axis and keeps the leading dims.
        w = ctx.add_weight(B + "_t", np.ascontiguousarray(Bc.T))
        zero = ctx.add_weight(node.output[0] + "_zero_bias", np.zeros((Bc.shape[1],), Bc.dtype))
        ctx.emit("FC", [ctx.blob(A), w, zero], node.output[0], axis=ra - 1)
    elif ra == 2 and ctx.rank(B, node) == 2:
        ctx.emit("MatMul", [ctx.blob(A), ctx.blob(B)], node.output[0])
    else:
        ctx.emit("BatchMatMul", [ctx.blob(A), ctx.blob(B)], node.output[0], broadcast=1)


# ----- padding ------------------------------------------------------------------------
def _pad_spec(ctx, node, a):
    """(pads, mode, value) or a reason string."""
    mode = a.get("mode", "constant")
    if ctx.opset < 11:
        pads, value = list(a.get("pads", [])), float(a.get("value", 0.0))
    else:
        p = ctx.const(node.input[1]) if len(node.input) > 1 else None
        if p is None:
            return "Pad with computed pads"
        pads = [int(v) for v in p.reshape(-1)]
        value = 0.0
        if len(node.input) > 2 and node.input[2]:
            v = ctx.const(node.input[2])
            if v is None:
                return "Pad with a computed value"
            value = float(np.asarray(v).reshape(-1)[0]) if v.size else 0.0
        if len(node.input) > 3 and node.input[3]:
            axes = ctx.const(node.input[3])
            if axes is None:
                return "Pad with computed axes"
            r = ctx.rank(node.input[0], node)
            full = [0] * (2 * r)
            k = len(axes)
            for j, ax in enumerate(int(v) % r for v in axes.reshape(-1)):
                full[ax], full[r + ax] = pads[j], pads[k + j]
            pads = full
    return pads, mode, value


def _check_pad(ctx, node, a):
    spec = _pad_spec(ctx, node, a)
    if isinstance(spec, str):
        return spec
    pads, mode, _ = spec
    r = len(pads) // 2
    if mode not in ("constant", "reflect", "edge"):
        return f"Pad mode {mode}"
    if any(p < 0 for p in pads):
        return "Pad with negative pads (cropping)"
    if r < 3 or any(pads[i] or pads[r + i] for i in (0, 1)):
        return "Pad of the batch or channel axis"
    if r != 4 and not _foldable(ctx, node, spec):
        return "Pad of a non-4-D tensor that is not read by a Conv"
    return None


def _foldable(ctx, node, spec) -> bool:
    pads, mode, value = spec
    out = node.output[0]
    readers = ctx.consumers.get(out, [])
    return (mode == "constant" and value == 0.0 and readers and out not in ctx.graph_outputs
            and all(r.op_type == "Conv" and r.input[0] == out for r in readers))


@register("Pad", emits=("PadImage",), check=_check_pad)
def pad(ctx, node, a):
    spec = _pad_spec(ctx, node, a)
    pads, mode, value = spec
    r = len(pads) // 2
    spatial = pads[2:r] + pads[r + 2:]
    if _foldable(ctx, node, spec):
        ctx.folded_pads[node.output[0]] = (ctx.resolve(node.input[0]), spatial)
        return
    ctx.emit("PadImage", [ctx.blob(node.input[0])], node.output[0], pads=spatial, mode=mode, value=value)


def _check_convt(ctx, node, a):
    if any(d != 1 for d in a.get("dilations") or []):
        return "ConvTranspose with dilations (Caffe2's has none)"
    if a.get("output_shape") is not None:
        return "ConvTranspose with output_shape"
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        return f"ConvTranspose with auto_pad {a['auto_pad']}"
    if ctx.shape(node.input[1]) is None:
        return "ConvTranspose whose weight shape is unknown"
    return None


@register("ConvTranspose", emits=("ConvTranspose",), check=_check_convt)
def conv_transpose(ctx, node, a):
    """Weights are (C_in, C_out/group, k...) in both; ONNX output_padding is Caffe2's `adjs`."""
    wshape = ctx.shape(node.input[1])
    kernel = list(a.get("kernel_shape") or wshape[2:])
    nd = len(kernel)
    pads = [0] * (2 * nd) if a.get("auto_pad") == "VALID" else list(a.get("pads") or [0] * (2 * nd))
    ins = [ctx.blob(n) for n in node.input if n]
    ctx.emit("ConvTranspose", ins, node.output[0], kernels=kernel, strides=list(a.get("strides") or [1] * nd),
             pads=pads, adjs=list(a.get("output_padding") or [0] * nd), group=int(a.get("group", 1)))


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


@register("InstanceNormalization", emits=("InstanceNorm",))
def instance_norm(ctx, node, a):
    ctx.emit("InstanceNorm", [ctx.blob(n) for n in node.input[:3]], node.output[0], epsilon=float(a.get("epsilon", 1e-5)))


@register("LRN", emits=("LRN",))
def lrn(ctx, node, a):
    """Both divide alpha by size (Caffe2 lrn_op: alpha_over_size)."""
    ctx.emit("LRN", [ctx.blob(node.input[0])], node.output[0], size=int(a["size"]), alpha=float(a.get("alpha", 1e-4)),
             beta=float(a.get("beta", 0.75)), bias=float(a.get("bias", 1.0)))
