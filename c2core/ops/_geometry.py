"""Window geometry shared by Conv, ConvTranspose and the pooling ops.

Caffe2's `ConvPoolOpBase` reads `kernel(s)`/`kernel_h`/`kernel_w`,
`stride(s)`, `dilation(s)`, `pad`/`pads`/`pad_t..pad_r`, `order`,
`global_pooling` and `legacy_pad`, then computes output sizes and pads per
spatial axis (`ComputeSizeAndPad`):

- NOTSET (0): out = 1 + (in + pad_head + pad_tail - dilated_kernel) / stride.
- VALID (1): pads are zero; out = (in - dilated_kernel) / stride + 1.
- SAME (2): pad_needed = (ceil(in/stride) - 1) * stride + kernel - in, split
  with the smaller half at the head (CAFFE2_PAD_HEAD_MORE is false).
- CAFFE_LEGACY_POOLING (3): Caffe's ceil-mode size,
  out = ceil((in + 2*pad_head - kernel) / stride) + 1, minus one when the
  last window would start inside the tail padding (pad_head > 0 only);
  pad_tail grows so the last window fits.

With a legacy_pad mode the pads depend on the input size, so `Geometry.at`
caches them per input shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

NOTSET, VALID, SAME, CAFFE_LEGACY = 0, 1, 2, 3


def size_and_pad(in_size: int, kernel: int, stride: int, dilation: int, head: int, tail: int, legacy: int):
    """(out_size, pad_head, pad_tail) for one spatial axis, as Caffe2 computes them."""
    dk = dilation * (kernel - 1) + 1
    if legacy == NOTSET:
        if in_size + head + tail < dk:
            raise ValueError(f"window {dk} is larger than the padded input {in_size + head + tail}")
        return 1 + (in_size + head + tail - dk) // stride, head, tail
    if legacy == VALID:
        if in_size < dk:
            raise ValueError(f"window {dk} is larger than the input {in_size} (legacy_pad=VALID)")
        return (in_size - dk) // stride + 1, 0, 0
    if legacy == SAME:
        target = (in_size + stride - 1) // stride
        needed = max((target - 1) * stride + kernel - in_size, 0)
        h = needed // 2
        return (in_size + needed - dk) // stride + 1, h, needed - h
    if legacy == CAFFE_LEGACY:
        out = int(math.ceil((in_size + head * 2 - kernel) / stride)) + 1
        if head > 0 and (out - 1) * stride >= in_size + head:
            out -= 1
        standard = (in_size + head * 2 - kernel) // stride + 1
        return out, head, head + stride * (out - standard)
    raise ValueError(f"unknown legacy_pad {legacy}")


@dataclass
class Geometry:
    """Parsed window arguments of one op; pads resolved per input size."""

    nd: int
    kernel: list
    stride: list
    dilation: list
    pads: list  # [begins..., ends...]
    legacy: int
    order: str
    global_pooling: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def nhwc(self) -> bool:
        return self.order == "NHWC"

    def at(self, spatial: tuple) -> tuple:
        """(out_sizes, pads [begins..., ends...]) for the given input spatial sizes."""
        hit = self._cache.get(spatial)
        if hit is not None:
            return hit
        nd = self.nd
        if self.global_pooling:
            res = (tuple([1] * nd), tuple([0] * (2 * nd)))
        else:
            outs, heads, tails = [], [], []
            for i in range(nd):
                o, h, t = size_and_pad(spatial[i], self.kernel[i], self.stride[i], self.dilation[i], self.pads[i], self.pads[i + nd], self.legacy)
                outs.append(o)
                heads.append(h)
                tails.append(t)
            res = (tuple(outs), tuple(heads + tails))
        self._cache[spatial] = res
        return res


def parse_geometry(args, nd: int, kernel_from=None) -> Geometry:
    """Read every spelling of the window arguments.

    `kernel_from` gives the kernel sizes when they come from a weight's shape
    (Conv); pooling reads them from the arguments.
    """
    if kernel_from is not None:
        kernel = list(kernel_from)
    else:
        kernel = args.spatial("kernel", "kernels", nd, 0)
    order = args.str("order", "NCHW").upper()
    return Geometry(
        nd=nd,
        kernel=kernel,
        stride=args.spatial("stride", "strides", nd, 1),
        dilation=args.spatial("dilation", "dilations", nd, 1),
        pads=list(args.pads(nd)),
        legacy=args.int("legacy_pad", 0),
        order=order,
        global_pooling=bool(args.int("global_pooling", 0)),
    )


def torch_pad_list(pads: tuple, nd: int) -> list:
    """Caffe2 [begins..., ends...] -> torch.nn.functional.pad's last-axis-first pairs."""
    out = []
    for i in reversed(range(nd)):
        out += [pads[i], pads[i + nd]]
    return out
