"""Caffe2's conv/pool geometry (`ConvPoolOpBase::ComputeSizeAndPad`) as explicit ONNX pads.

Caffe2 decides output size and padding from `legacy_pad` (c2core/window_size.py;
SAME puts the odd pad at the tail, ONNX SAME_UPPER). For CAFFE_LEGACY_POOLING,
ONNX's ceil_mode does not trim that last window, so instead of ceil_mode we
emit floor mode with the *smallest* tail pad that yields Caffe2's output size:
the windows are then identical, every window is full (so the average divisor
matches too) and the tail stays below the kernel, as ONNX Runtime demands.
"""

from __future__ import annotations

from ...errors import C2Error
from ...window_size import CAFFE_LEGACY_POOLING, NOTSET, SAME, VALID, size_and_pad  # noqa: F401 (conv/pool exporters import them here)


def onnx_pads(in_sizes, kernels, strides, dilations, pads, legacy_pad) -> list[int]:
    """ONNX `pads` ([begins..., ends...]) reproducing Caffe2's windows with ceil_mode=0."""
    nd = len(kernels)
    begins, ends = [], []
    for i in range(nd):
        in_size = in_sizes[i]
        if not isinstance(in_size, int):
            if legacy_pad in (NOTSET, VALID):
                h, t = (pads[i], pads[i + nd]) if legacy_pad == NOTSET else (0, 0)
                begins.append(h)
                ends.append(t)
                continue
            raise C2Error(f"legacy_pad={legacy_pad} needs a static spatial size (axis {i} is {in_size})")
        try:
            out, head, tail = size_and_pad(in_size, kernels[i], strides[i], dilations[i], pads[i], pads[i + nd], legacy_pad)
        except ValueError as e:
            raise C2Error(f"spatial axis {i}: {e}") from None
        if legacy_pad == CAFFE_LEGACY_POOLING:
            dk = dilations[i] * (kernels[i] - 1) + 1
            tail = max(0, (out - 1) * strides[i] + dk - (in_size + head))
            if tail >= kernels[i]:
                raise C2Error(
                    f"legacy pooling on axis {i} leaves a window wholly outside the input "
                    f"(input {in_size}, kernel {kernels[i]}, stride {strides[i]}, pad {head}); ONNX cannot express it")
        begins.append(head)
        ends.append(tail)
    return begins + ends


def geometry(args, nd: int, kernel_default=None, pool: bool = False):
    """(kernels, strides, dilations, pads, legacy_pad) from any Caffe2 spelling."""
    kernels = args.spatial("kernel", "kernels", nd, 0)
    if not any(kernels):
        if kernel_default is None:
            raise C2Error("no kernel size given")
        kernels = list(kernel_default)
    strides = args.spatial("stride", "strides", nd)
    dilations = args.spatial("dilation", "dilations", nd)
    if pool and any(d != 1 for d in dilations):
        raise C2Error("Caffe2 pooling does not support dilation")
    return kernels, strides, dilations, args.pads(nd), args.int("legacy_pad")
