"""Caffe2's `ConvPoolOpBase::ComputeSizeAndPad`: output size and pads of one spatial axis.

The one copy used by the kernels (c2core/ops), shape inference (c2core/shapes)
and the ONNX exporter, for each `legacy_pad` mode:

- NOTSET (0): explicit pads; out = (in + pad_head + pad_tail - dilated_kernel) / stride + 1.
- VALID (1): pads are zero; out = (in - dilated_kernel) / stride + 1.
- SAME (2): pad_needed = (ceil(in / stride) - 1) * stride + kernel - in (not below
  zero), split with the smaller half at the head (CAFFE2_PAD_HEAD_MORE is false).
- CAFFE_LEGACY_POOLING (3): Caffe's ceil-mode size, only pad_head is read;
  out = ceil((in + 2 * pad_head - kernel) / stride) + 1, minus one when
  pad_head > 0 and the last window would start inside the tail padding;
  pad_tail grows so that the last window fits.

Pure Python: the exporter and `c2core info` import it without torch.
"""

from __future__ import annotations

import math

NOTSET, VALID, SAME, CAFFE_LEGACY_POOLING = 0, 1, 2, 3


def size_and_pad(in_size: int, kernel: int, stride: int, dilation: int, head: int, tail: int,
                 legacy_pad: int) -> tuple[int, int, int]:
    """(out_size, pad_head, pad_tail) for one spatial axis; ValueError when no window fits."""
    if stride <= 0 or kernel <= 0:
        raise ValueError(f"kernel {kernel} / stride {stride} must be positive")
    dk = dilation * (kernel - 1) + 1
    if legacy_pad == NOTSET:
        out = (in_size + head + tail - dk) // stride + 1
    elif legacy_pad == VALID:
        out, head, tail = (in_size - dk) // stride + 1, 0, 0
    elif legacy_pad == SAME:
        target = (in_size + stride - 1) // stride
        needed = max((target - 1) * stride + kernel - in_size, 0)
        head, tail = needed // 2, needed - needed // 2
        out = (in_size + needed - dk) // stride + 1
    elif legacy_pad == CAFFE_LEGACY_POOLING:
        out = int(math.ceil((in_size + 2 * head - kernel) / stride)) + 1
        if head > 0 and (out - 1) * stride >= in_size + head:
            out -= 1
        standard = int((in_size + 2 * head - kernel) / stride + 1)  # C++ truncation, as Caffe2
        tail = head + stride * (out - standard)
    else:
        raise ValueError(f"unknown legacy_pad {legacy_pad}")
    if out < 1:
        padded = in_size + (head + tail if legacy_pad != CAFFE_LEGACY_POOLING else 2 * head)
        raise ValueError(f"window {dk} is larger than the{' padded' if padded != in_size else ''} input {padded}")
    return out, head, tail
