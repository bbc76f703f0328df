"""OneHot (caffe2/operators/one_hot_ops.cc).

Inputs: `indices` (1-D, N integers) and `index_size_tensor` (a scalar blob D).
Output: float N x D with 1 at (i, indices[i]); an index outside [0, D) is an
error, as Caffe2 enforces. Real init nets use it to build constant masks
(`UniformIntFill -> Cast -> OneHot -> Reshape`).
"""

from __future__ import annotations

import torch

from .registry import register


@register("OneHot")
def one_hot(ctx, indices, size):
    d = int(size.reshape(-1)[0].item())
    idx = indices.reshape(-1).to(torch.int64)
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= d):
        raise ValueError(f"index out of range [0, {d}): min {int(idx.min())}, max {int(idx.max())}")
    out = torch.zeros((idx.numel(), d), dtype=torch.float32, device=indices.device)
    out[torch.arange(idx.numel(), device=indices.device), idx] = 1.0
    return out
