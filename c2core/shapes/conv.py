"""Convolution rules: Conv (1-3-D, NCHW/NHWC) and ConvTranspose.

Conv filter: NCHW [M, C/group, k...], NHWC [M, k..., C/group]; output
channels M = filter dim 0. ConvTranspose filter: NCHW [C, M/group, kH, kW],
NHWC [C, kH, kW, M/group]; output channels = that dim times group.
Without a known filter (structure-only nets) the channel count is -1.
"""

from __future__ import annotations

from .geometry import join_layout, spatial_out, split_layout, window
from .info import BlobInfo
from .registry import rule


def conv_shape(ctx, order: str | None = None) -> tuple:
    order = order or ctx.order()
    x = ctx.shape(0)
    n, c, spatial = split_layout(x, order)
    w = ctx.maybe_shape(1)
    if w is not None:
        m = w[0]
        kdims = w[1:-1] if order == "NHWC" else w[2:]
        cw = w[-1] if order == "NHWC" else w[1]
        group = ctx.i("group", 1)
        if c >= 0 and cw >= 0 and c != cw * group:
            raise ValueError(f"X has {c} channels, filter expects {cw} x {group} groups")
    else:
        m, kdims = -1, None
    win = window(ctx, len(spatial), kernel_from=kdims)
    return join_layout(n, m, spatial_out(spatial, win), order)


@rule("Conv", "Conv1D", "Conv2D", "Conv3D")
def conv(ctx):
    return [BlobInfo(conv_shape(ctx), ctx.dtype(0))]


def conv_transpose_shape(ctx, order: str | None = None) -> tuple:
    order = order or ctx.order()
    x = ctx.shape(0)
    n, _c, spatial = split_layout(x, order)
    nd = len(spatial)
    w = ctx.maybe_shape(1)
    group = ctx.i("group", 1)
    if w is not None:
        m = (w[-1] if order == "NHWC" else w[1]) * group
        kdims = w[1:-1] if order == "NHWC" else w[2:]
    else:
        m, kdims = -1, None
    win = window(ctx, nd, kernel_from=kdims)  # dilation is parsed but ConvTranspose has none
    kernel, stride, pads, legacy = win.kernel, win.stride, win.pads, win.legacy_pad
    adj = ctx.args.spatial("adj", "adjs", nd, 0)
    if legacy == 3:
        raise ValueError("ConvTranspose does not support CAFFE_LEGACY_POOLING")
    out = []
    for i in range(nd):
        if spatial[i] < 0:
            out.append(-1)
            continue
        size = (spatial[i] - 1) * stride[i] + kernel[i] + adj[i]
        if legacy not in (1, 2):
            size -= pads[i] + pads[nd + i]
        if size <= 0:
            raise ValueError("empty output")
        out.append(size)
    return join_layout(n, m, out, order)


@rule("ConvTranspose")
def conv_transpose(ctx):
    return [BlobInfo(conv_transpose_shape(ctx), ctx.dtype(0))]
