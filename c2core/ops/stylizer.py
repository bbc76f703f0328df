"""Style transfer pre/post-processing ops of Facebook's AICamera app
(caffe2/operators/stylizer_ops.cc, the portable CPU path).

PackedInt8BGRANHWCToNCHWCStylizerPreprocess(X uint8 N x H x W x 4 BGRA, mean[3])
  -> Y float N x 3 x H x W: Y[n, c, y, x] = X[n, y, x, c] - mean[c] + noise,
  channel order kept (B, G, R), alpha dropped; noise: c2core.stylizer_noise.
BRGNCHWCToPackedInt8BGRAStylizerDeprocess(X float N x 3 x H x W, mean[3])
  -> Y uint8 N x H x W x 4: clamp(X[n, c] + mean[c]) to [0, 255], truncated
  toward zero (C++ static_cast), alpha 255.
"""

from __future__ import annotations

import torch

from ..stylizer_noise import noise_map, op_noise
from .registry import register


def _prep_pre(ctx):
    return {"noise": op_noise(ctx.op, ctx.args), "maps": {}}


@register("PackedInt8BGRANHWCToNCHWCStylizerPreprocess", prepare=_prep_pre)
def stylizer_preprocess(ctx, x, mean):
    if x.dim() != 4 or x.shape[3] != 4:
        raise ValueError(f"X must be N x H x W x 4 (BGRA), got {list(x.shape)}")
    if mean.numel() != 3:
        raise ValueError(f"mean must hold 3 values, got {mean.numel()}")
    y = x[..., :3].permute(0, 3, 1, 2).to(torch.float32) - mean.reshape(1, 3, 1, 1).to(torch.float32)
    noise = ctx.state["noise"]
    if noise is not None:
        h, w = int(x.shape[1]), int(x.shape[2])
        m = ctx.state["maps"].get((h, w))
        if m is None:  # cached per size: the same noise every run (Caffe2 keeps it in the workspace)
            m = ctx.state["maps"][(h, w)] = torch.from_numpy(noise_map(noise, h, w)).to(x.device)
        y = y + m
    return y.contiguous()


@register("BRGNCHWCToPackedInt8BGRAStylizerDeprocess")
def stylizer_deprocess(ctx, x, mean):
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"X must be N x 3 x H x W, got {list(x.shape)}")
    if mean.numel() != 3:
        raise ValueError(f"mean must hold 3 values, got {mean.numel()}")
    v = (x.to(torch.float32) + mean.reshape(1, 3, 1, 1).to(torch.float32)).clamp(0.0, 255.0).trunc()
    rgb = v.to(torch.uint8).permute(0, 2, 3, 1)
    alpha = torch.full(rgb.shape[:3] + (1,), 255, dtype=torch.uint8, device=x.device)
    return torch.cat([rgb, alpha], dim=3).contiguous()
