"""Caffe2's conv/pool geometry (`ConvPoolOpBase::ComputeSizeAndPad`) as explicit ONNX pads.

Caffe2 decides output size and padding from `legacy_pad`:
- NOTSET (0): explicit pads, out = floor((in + head + tail - dkernel) / stride) + 1.
- VALID (1): no padding.
- SAME (2): out = ceil(in / stride); the odd pad goes to the tail (ONNX SAME_UPPER).
- CAFFE_LEGACY_POOLING (3): only the head pad is read; out = ceil((in + 2*head -
  kernel) / stride) + 1, minus one when head > 0 and the last window would start
  in the padding (at or beyond in + head).
ONNX's ceil_mode does not trim that last window, so instead of ceil_mode we
emit floor mode with the *smallest* tail pad that yields Caffe2's output size:
the windows are then identical, every window is full (so the average divisor
matches too) and the tail stays below the kernel, as ONNX Runtime demands.
"""

from __future__ import annotations

import math

from ...errors import C2Error

NOTSET, VALID, SAME, CAFFE_LEGACY_POOLING = 0, 1, 2, 3


def caffe2_out_size(in_size, kernel, stride, dilation, head, tail, legacy_pad) -> tuple[int, int, int]:
    """(out_size, pad_head, pad_tail) exactly as Caffe2 computes them."""
    dk = dilation * (kernel - 1) + 1
    if legacy_pad == NOTSET:
        return (in_size + head + tail - dk) // stride + 1, head, tail
    if legacy_pad == VALID:
        return (in_size - dk) // stride + 1, 0, 0
    if legacy_pad == SAME:
        target = (in_size + stride - 1) // stride
        need = max((target - 1) * stride + kernel - in_size, 0)
        head = need // 2
        return (in_size + need - dk) // stride + 1, head, need - head
    if legacy_pad == CAFFE_LEGACY_POOLING:
        out = int(math.ceil((in_size + 2 * head - kernel) / stride + 1))
        if head > 0 and (out - 1) * stride >= in_size + head:
            out -= 1
        std = int((in_size + 2 * head - kernel) / stride + 1)
        return out, head, head + stride * (out - std)
    raise C2Error(f"legacy_pad={legacy_pad} is not a Caffe2 padding mode")


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
        out, head, tail = caffe2_out_size(in_size, kernels[i], strides[i], dilations[i], pads[i], pads[i + nd], legacy_pad)
        if out < 1:
            raise C2Error(f"output size {out} on spatial axis {i} (input {in_size}, kernel {kernels[i]})")
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
    strides = args.spatial("stride", "strides", nd, 1)
    dilations = args.spatial("dilation", "dilations", nd, 1)
    if pool and any(d != 1 for d in dilations):
        raise C2Error("Caffe2 pooling does not support dilation")
    return kernels, strides, dilations, args.pads(nd), args.int("legacy_pad", 0)
