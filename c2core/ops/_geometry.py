"""Window geometry shared by Conv, ConvTranspose and the pooling ops.

Caffe2's `ConvPoolOpBase` reads `kernel(s)`/`kernel_h`/`kernel_w`,
`stride(s)`, `dilation(s)`, `pad`/`pads`/`pad_t..pad_r`, `order`,
`global_pooling` and `legacy_pad`, then computes output sizes and pads per
spatial axis with `ComputeSizeAndPad` (c2core/window_size.py, shared with
shape inference and the ONNX exporter).

With a legacy_pad mode the pads depend on the input size, so `Geometry.at`
caches them per input shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..window_size import CAFFE_LEGACY_POOLING as CAFFE_LEGACY, NOTSET, SAME, VALID, size_and_pad  # noqa: F401 (kernels import them from here)


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
    order = args.str("order").upper()
    return Geometry(
        nd=nd,
        kernel=kernel,
        stride=args.spatial("stride", "strides", nd),
        dilation=args.spatial("dilation", "dilations", nd),
        pads=list(args.pads(nd)),
        legacy=args.int("legacy_pad"),
        order=order,
        global_pooling=bool(args.int("global_pooling")),
    )


def torch_pad_list(pads: tuple, nd: int) -> list:
    """Caffe2 [begins..., ends...] -> torch.nn.functional.pad's last-axis-first pairs."""
    out = []
    for i in reversed(range(nd)):
        out += [pads[i], pads[i + nd]]
    return out
