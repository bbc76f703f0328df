"""Conv and ConvTranspose.

Windows are written in Caffe2's list spellings (`kernels`, `strides`,
`pads`, `dilations`); ONNX `pads` and Caffe2 `pads` share the order
[begin..., end...] (t, l, b, r in 2-D). `auto_pad` is resolved from static
shapes into explicit pads, because Caffe2 has no such argument.
"""

from __future__ import annotations


from .registry import register


def window(ctx, node, a, x, kernel):
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
    strides, dil, pads = window(ctx, node, a, x, kernel)
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


