"""HardSigmoid (caffe2/operators/hard_sigmoid_op.h): y = max(0, min(1, alpha·x + beta)).

Defaults alpha 0.2, beta 0.5 (Caffe2's, not PyTorch's 1/6), read as float32
like the C++ functor. ONNX imports emit it (HardSigmoid, and HardSwish as
HardSigmoid(alpha=1/6) then Mul). May run in place.
"""

from __future__ import annotations

import numpy as np
import torch

from .registry import register


def _prepare(ctx):
    return float(np.float32(ctx.args.float("alpha"))), float(np.float32(ctx.args.float("beta")))


def _hard_sigmoid_(ctx, x):
    alpha, beta = ctx.state
    return x.mul_(alpha).add_(beta).clamp_(0.0, 1.0)


@register("HardSigmoid", prepare=_prepare, inplace=_hard_sigmoid_)
def hard_sigmoid(ctx, x):
    alpha, beta = ctx.state
    return torch.clamp(x * alpha + beta, 0.0, 1.0)
