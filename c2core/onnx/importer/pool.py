"""MaxPool, AveragePool and their global forms.

`ceil_mode` becomes extra end padding (Caffe2 has no ceil mode), exact for
MaxPool (padding never wins a max) and for AveragePool without
count_include_pad (padding is not counted).
"""

from __future__ import annotations


from .registry import register
from .conv import window


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
        if _ceil_pads(ctx, node, a, kernel) != window(ctx, node, a, node.input[0], kernel)[2]:
            return "AveragePool with ceil_mode and count_include_pad"
    return None


def _ceil_pads(ctx, node, a, kernel):
    """End pads that make Caffe2's floor arithmetic give ONNX's ceil-mode output size."""
    strides, _, pads = window(ctx, node, a, node.input[0], kernel)
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
    strides, _, pads = window(ctx, node, a, node.input[0], kernel)
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
