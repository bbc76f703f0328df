"""Ops that pass data through at inference (caffe2/operators/dropout_op.cc,
copy_op.cc, alias_op, stop_gradient.cc, ensure_cpu_output_op.h).

- Dropout(X) -> Y[, mask]: at test time (the only mode here) Y = X (Caffe2
  scales at training time, so nothing is rescaled) and mask is all true.
- Copy / CopyCPUToGPU / CopyGPUToCPU / CopyFromCPUInput / EnsureCPUOutput /
  EnsureDense: Y = X (a copy).
- Alias / StopGradient: Y = X (shares memory).
"""

from __future__ import annotations

import torch

from .registry import register


@register("Dropout", prepare=lambda ctx: len(ctx.op.output) > 1, view=True)
def dropout(ctx, x):
    if ctx.state:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    return x


@register("Copy", "CopyCPUToGPU", "CopyGPUToCPU", "CopyFromCPUInput", "EnsureCPUOutput", "EnsureDense")
def copy(ctx, x):
    return x.clone()


@register("Alias", "StopGradient", view=True)
def alias(ctx, x):
    return x
