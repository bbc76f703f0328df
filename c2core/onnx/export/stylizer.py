"""AICamera's style transfer pre/post-processing (c2core/ops/stylizer.py) in ONNX.

Preprocess: Slice the B, G, R channels of the uint8 NHWC input, Cast to float,
Transpose to NCHW, Sub the mean; with noise_std != 0, Add the noise map as a
constant (1 x 3 x H x W: H and W must be static). The noise is c2core's seeded
draw (c2core.stylizer_noise), so the export equals the executor exactly;
Caffe2 itself draws unseeded noise, so only noise_std = 0 reproduces a Caffe2
run value for value.
Deprocess: Add the mean, Clip to [0, 255], Floor (the values are >= 0, so this
is C++'s truncation), Cast to uint8, Transpose to NHWC, Pad one alpha channel
of 255.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from ...stylizer_noise import noise_map, op_noise
from .registry import register

_FLOAT, _UINT8 = 1, 2


def _mean(ctx, blob):
    m = ctx.node1("Cast", [ctx.input(blob)], to=_FLOAT)
    return ctx.node1("Reshape", [m, ctx.ints([1, 3, 1, 1], "mean_shape")])


@register("PackedInt8BGRANHWCToNCHWCStylizerPreprocess")
def preprocess(ctx, op, args):
    x = ctx.input(op.input[0])
    bgr = ctx.node1("Slice", [x, ctx.ints([0]), ctx.ints([3]), ctx.ints([3])])
    y = ctx.node1("Transpose", [ctx.node1("Cast", [bgr], to=_FLOAT)], perm=[0, 3, 1, 2])
    noise = op_noise(op, args)
    if noise is None:
        ctx.write(op.output[0], "Sub", [y, _mean(ctx, op.input[1])])
        return
    y = ctx.node1("Sub", [y, _mean(ctx, op.input[1])])
    shape = ctx.shape(x)
    if shape is None or not all(isinstance(d, int) and d > 0 for d in shape[1:3]):
        raise C2Error("stylizer noise needs a static image size (give --input-shape), or set noise_std to 0")
    m = noise_map(noise, int(shape[1]), int(shape[2]))[None]
    ctx.write(op.output[0], "Add", [y, ctx.const(m.astype(np.float32), "stylizer_noise")])


@register("BRGNCHWCToPackedInt8BGRAStylizerDeprocess")
def deprocess(ctx, op, args):
    x = ctx.node1("Add", [ctx.input(op.input[0]), _mean(ctx, op.input[1])])
    x = ctx.node1("Clip", [x, ctx.const(np.float32(0.0), "zero"), ctx.const(np.float32(255.0), "u8_max")])
    u8 = ctx.node1("Cast", [ctx.node1("Floor", [x])], to=_UINT8)
    nhwc = ctx.node1("Transpose", [u8], perm=[0, 2, 3, 1])
    ctx.write(op.output[0], "Pad", [nhwc, ctx.ints([0, 0, 0, 0, 0, 0, 0, 1], "alpha_pad"),
                                    ctx.const(np.uint8(255), "alpha")], mode="constant")
