"""ResizeNearest, UpsampleBilinear, Upsample (caffe2/operators/resize_op.cc,
upsample_op.cc).

- ResizeNearest(X[, scales]) -> Y: out = int(in · scale) per axis
  (`height_scale`, `width_scale`, default 1, or a 2nd input [h, w]);
  output pixel y reads input row min(int(y / scale), in - 1), computed in
  float32 as Caffe2 does. NCHW or NHWC.
- UpsampleBilinear(X[, scales]) -> Y (NCHW): out = int(in · scale);
  source coordinate y · (in - 1) / (out - 1) (0 when out = 1), i.e. the
  align-corners rule, linear between the two nearest rows/cols.
- Upsample (an old ONNX-era spelling): `mode` "nearest" behaves as
  ResizeNearest, "bilinear"/"linear" as UpsampleBilinear.
- UpsampleNearest (Detectron, upsample_nearest_op.h): NCHW, integer
  `scale`; out[y, x] = in[y // scale, x // scale].
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .. import budget
from .registry import register


def _prep(ctx):
    a = ctx.args
    mode = a.str("mode").lower()
    if ctx.type == "UpsampleBilinear":
        mode = "bilinear"
    elif ctx.type == "ResizeNearest":
        mode = "nearest"
    return {"h": a.float("height_scale"), "w": a.float("width_scale"), "nhwc": a.str("order").upper() == "NHWC", "mode": mode, "cache": {}}


@register("UpsampleNearest", prepare=lambda ctx: ctx.args.int("scale"))
def upsample_nearest(ctx, x):
    s = ctx.state
    if x.dim() != 4 or s < 1:
        raise ValueError(f"{ctx.where}: expects a 4-D NCHW input and scale >= 1 (got {list(x.shape)}, scale {s})")
    return x.repeat_interleave(s, dim=2).repeat_interleave(s, dim=3)


def _nearest_index(n_in, scale, n_out, device):
    # Caffe2 divides in float32: (int)(y / scale)
    idx = (torch.arange(n_out, dtype=torch.float32) / np.float32(scale)).floor().long().clamp_(max=n_in - 1)
    return idx.to(device)


def out_size(n: int, scale: float) -> int:
    """int(n * scale) with Caffe2's float32 arithmetic."""
    return int(np.float32(n) * np.float32(scale))


@register("ResizeNearest", "UpsampleBilinear", "Upsample", prepare=_prep, view=True)  # scale 1 may alias
def resize(ctx, x, scales=None):
    s = ctx.state
    hs, ws = s["h"], s["w"]
    if scales is not None:
        v = scales.reshape(-1).tolist()
        hs, ws = float(v[0]), float(v[1])
    nhwc = s["nhwc"]
    if nhwc:
        x = x.movedim(-1, 1)
    h, w = x.shape[-2:]
    if not (np.isfinite(hs) and np.isfinite(ws) and hs > 0 and ws > 0):
        raise ValueError(f"scales must be positive and finite, got height {hs}, width {ws}")
    oh, ow = out_size(h, hs), out_size(w, ws)
    budget.check_output(list(x.shape[:-2]) + [oh, ow], x.element_size(), "output")
    if s["mode"] == "nearest":
        key = (h, w, hs, ws, x.device)
        idx = s["cache"].get(key)
        if idx is None:
            idx = s["cache"][key] = (_nearest_index(h, hs, oh, x.device), _nearest_index(w, ws, ow, x.device))
        y = x.index_select(-2, idx[0]).index_select(-1, idx[1])
    elif s["mode"] in ("bilinear", "linear"):
        y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=True)
    else:
        raise ValueError(f"unknown Upsample mode '{s['mode']}'")
    return y.movedim(1, -1) if nhwc else y
