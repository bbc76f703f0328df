"""Convolution rules: Conv (1-3-D, NCHW/NHWC) and ConvTranspose.

Conv filter: NCHW [M, C/group, k...], NHWC [M, k..., C/group]; output
channels M = filter dim 0. ConvTranspose filter: NCHW [C, M/group, kH, kW],
NHWC [C, kH, kW, M/group]; output channels = that dim times group.
ConvTranspose pads, `adj` and `legacy_pad` (VALID/SAME: zero pads) follow
c2core/conv_transpose_pads.py; `dilation` is ignored as Caffe2 ignores it.
Without a known filter (structure-only nets) the channel count is -1.
"""

from __future__ import annotations

from ..conv_transpose_pads import conv_transpose_pads, conv_transpose_size
from .geometry import join_layout, spatial_out, split_layout, window
from .info import BadNet, BlobInfo
from .registry import register


def conv_shape(ctx, order: str | None = None) -> tuple:
    order = order or ctx.order()
    x = ctx.shape(0)
    n, c, spatial = split_layout(x, order)
    w = ctx.maybe_shape(1)
    if w is not None:
        m = w[0]
        kdims = w[1:-1] if order == "NHWC" else w[2:]
        cw = w[-1] if order == "NHWC" else w[1]
        group = ctx.i("group")
        if c >= 0 and cw >= 0 and c != cw * group:
            raise BadNet(f"X has {c} channels, filter expects {cw} x {group} groups")
    else:
        m, kdims = -1, None
    win = window(ctx, len(spatial), kernel_from=kdims)
    return join_layout(n, m, spatial_out(spatial, win), order)


@register("Conv", "Conv1D", "Conv2D", "Conv3D")
def conv(ctx):
    return [BlobInfo(conv_shape(ctx), ctx.dtype(0))]


def conv_transpose_shape(ctx, order: str | None = None) -> tuple:
    order = order or ctx.order()
    x = ctx.shape(0)
    n, _c, spatial = split_layout(x, order)
    nd = len(spatial)
    w = ctx.maybe_shape(1)
    group = ctx.i("group")
    if w is not None:
        m = (w[-1] if order == "NHWC" else w[1]) * group
        kdims = w[1:-1] if order == "NHWC" else w[2:]
    else:
        m, kdims = -1, None
    win = window(ctx, nd, kernel_from=kdims)  # the kernel; dilation is ignored, as by Caffe2
    try:  # the shared ConvTranspose arithmetic refuses a configuration with ValueError
        stride, pads, adj = conv_transpose_pads(ctx.args, nd)
        out = [-1 if spatial[i] < 0 else conv_transpose_size(spatial[i], win.kernel[i], stride[i], adj[i], pads[i], pads[nd + i])
               for i in range(nd)]
    except ValueError as e:
        raise BadNet(str(e)) from e
    return join_layout(n, m, out, order)


@register("ConvTranspose")
def conv_transpose(ctx):
    return [BlobInfo(conv_transpose_shape(ctx), ctx.dtype(0))]
