"""MaxPool / AveragePool (and their 1D/2D/3D spellings), LpPool.

Windows come from `padding.onnx_pads`, which turns `legacy_pad=3` (Caffe's
ceil-mode pooling with the trimmed last window) into explicit floor-mode pads,
so ONNX sees exactly Caffe2's windows. Caffe2's AveragePool divides by the
number of real (non-padding) cells unless `count_include_pad=1`
(`AveragePoolFunctor`, default false): that maps one to one onto ONNX's
`count_include_pad`. `global_pooling=1` ignores the kernel.
"""

from __future__ import annotations

from .conv import channel_first
from .padding import geometry, onnx_pads
from .registry import register


def _pool(ctx, op, args, onnx_type: str, global_type: str, extra_attrs: dict):
    def build(x, out):
        shape = ctx.shape(x)
        if shape is None:
            from ...errors import C2Error

            raise C2Error(f"rank of '{x}' is unknown")
        nd = len(shape) - 2
        if nd < 1:
            from ...errors import C2Error

            raise C2Error(f"pooling needs an input of rank >= 3, got shape {shape}")
        if args.int("global_pooling"):
            return ctx.node1(global_type, [x], out)
        ks, ss, ds, pads, legacy = geometry(args, nd, pool=True)
        p = onnx_pads(shape[2:], ks, ss, ds, pads, legacy)
        return ctx.node1(onnx_type, [x], out, kernel_shape=ks, strides=ss, pads=p, **extra_attrs)

    channel_first(ctx, op, args, build)


@register("MaxPool", "MaxPool1D", "MaxPool2D", "MaxPool3D")
def max_pool(ctx, op, args):
    _pool(ctx, op, args, "MaxPool", "GlobalMaxPool", {})


@register("AveragePool", "AveragePool1D", "AveragePool2D", "AveragePool3D")
def average_pool(ctx, op, args):
    _pool(ctx, op, args, "AveragePool", "GlobalAveragePool",
          {"count_include_pad": 1 if args.int("count_include_pad") else 0})


@register("LpPool")
def lp_pool(ctx, op, args):
    """(sum |x|^p)^(1/p) over the window; ONNX LpPool takes an integer p only."""
    p = args.float("p")
    if p != int(p) or p < 1:
        from ...errors import C2Error

        raise C2Error(f"LpPool with p={p}: ONNX LpPool takes an integer p >= 1")
    _pool(ctx, op, args, "LpPool", "GlobalLpPool", {"p": int(p)})
