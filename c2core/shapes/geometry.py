"""Spatial geometry shared by convolution and pooling rules.

Caffe2's `ConvPoolOpBase`: kernel/stride/dilation/pads in any spelling, the
storage order, and `ComputeSizeAndPad` for each `legacy_pad` mode:
NOTSET (explicit pads, floor), VALID, SAME, and CAFFE_LEGACY_POOLING (Caffe's
ceil mode, dropping a last window that would start inside the padding).
"""

from __future__ import annotations
from .info import BadNet

from dataclasses import dataclass

from ..window_size import size_and_pad


@dataclass
class Window:
    kernel: list[int]
    stride: list[int]
    dilation: list[int]
    pads: list[int]  # [begin_0..begin_n, end_0..end_n]
    legacy_pad: int


def split_layout(shape, order: str):
    """(N, C, spatial dims) of an NCHW or NHWC shape."""
    if len(shape) < 2:
        raise BadNet(f"rank {len(shape)} has no channel axis")
    if order == "NHWC":
        return shape[0], shape[-1], list(shape[1:-1])
    return shape[0], shape[1], list(shape[2:])


def join_layout(n, c, spatial, order: str) -> tuple:
    if order == "NHWC":
        return (n, *spatial, c)
    return (n, c, *spatial)


def window(ctx, nd: int, kernel_from=None) -> Window:
    """Parse the window args of `ctx`'s op for `nd` spatial axes.

    `kernel_from`: sizes to use when no kernel argument is given (a conv's
    filter dims, or the input dims for global pooling).
    """
    a = ctx.args
    if kernel_from is not None and not any(k in a for k in ("kernel", "kernels", "kernel_h", "kernel_w")):
        kernel = list(kernel_from)
    else:
        kernel = a.spatial("kernel", "kernels", nd, 0)
    stride = a.spatial("stride", "strides", nd)
    dilation = a.spatial("dilation", "dilations", nd)
    pads = a.pads(nd)
    if len(pads) != 2 * nd:
        raise BadNet(f"{len(pads)} pads for {nd} spatial axes")
    if len(kernel) != nd or len(stride) != nd or len(dilation) != nd:
        raise BadNet("window argument length does not match the input rank")
    return Window(kernel, stride, dilation, pads, ctx.i("legacy_pad"))


def out_size(in_size: int, kernel: int, stride: int, dilation: int, pad_head: int, pad_tail: int, legacy_pad: int) -> int:
    """Output length of one spatial axis (Caffe2 `ComputeSizeAndPad`); -1 stays -1."""
    if in_size < 0:
        return -1
    try:
        return size_and_pad(in_size, kernel, stride, dilation, pad_head, pad_tail, legacy_pad)[0]
    except ValueError as e:  # the shared size arithmetic refuses this window: the net is inconsistent
        raise BadNet(str(e)) from e


def spatial_out(spatial, w: Window) -> list[int]:
    nd = len(spatial)
    return [
        out_size(spatial[i], w.kernel[i], w.stride[i], w.dilation[i], w.pads[i], w.pads[nd + i], w.legacy_pad)
        for i in range(nd)
    ]
