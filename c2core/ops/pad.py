"""PadImage (caffe2/operators/pad_op.cc).

Pads the two spatial axes of an NCHW (or `order`=NHWC) image by the pads in
any Caffe2 spelling (`pad`, `pads` t,l,b,r, `pad_t`...). `mode`:
- constant (default): fill with `value` (default 0);
- reflect: mirror without repeating the edge (index -1 reads 1);
- edge: repeat the border pixel.
"""

from __future__ import annotations

import torch.nn.functional as F

from .registry import register


def _prep(ctx):
    a = ctx.args
    top, left, bottom, right = a.pads(2)
    mode = a.str("mode").lower()
    if mode not in ("constant", "reflect", "edge"):
        raise ValueError(f"unknown PadImage mode '{mode}'")
    return [left, right, top, bottom], {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode], a.float("value"), a.str("order").upper() == "NHWC"


@register("PadImage", prepare=_prep, view=True)  # zero pads may return the input
def pad_image(ctx, x):
    pads, mode, value, nhwc = ctx.state
    if nhwc:
        x = x.movedim(-1, 1)
    if mode == "constant":
        y = F.pad(x, pads, value=value)
    else:
        y = F.pad(x, pads, mode=mode)
    return y.movedim(1, -1) if nhwc else y
