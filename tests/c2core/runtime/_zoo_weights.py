"""Make weights for a structure-only net by walking it with real tensors.

The zoo predict nets carry no weights, and a Conv's output channel count is
not in its arguments. Any consistent choice runs, so every Conv gets the
same `channels` outputs (which keeps residual Sums and Concats consistent and
the nets small and fast) and every FC `classes` outputs; the spatial sizes
stay real. Per-channel parameters (SpatialBN, Mul/Add with broadcast) take
the channel count of the activation they meet. The walk runs each op's
kernel once to learn the next shapes.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from c2core.args import Args
from c2core.ops.registry import OpContext, lookup


def _new(op, x, name_idx, args, rng, channels, classes):
    t = op.type
    k = name_idx
    if t == "Conv":
        group = args.int("group", 1)
        kh, kw = args.spatial("kernel", "kernels", 2, 1)
        cin = x.shape[1]
        shapes = {1: (channels, cin // group, kh, kw), 2: (channels,)}
        fan = cin // group * kh * kw
        return (rng.standard_normal(shapes[k]) * (np.sqrt(2.0 / fan) if k == 1 else 0.1)).astype(np.float32)
    if t == "FC":
        kdim = math.prod(x.shape[args.int("axis", 1):])
        if k == 1:
            return (rng.standard_normal((classes, kdim)) / np.sqrt(kdim)).astype(np.float32)
        return (rng.standard_normal(classes) * 0.1).astype(np.float32)
    c = x.shape[1]
    if t == "SpatialBN":
        if k == 4:
            return (rng.random(c) + 0.5).astype(np.float32)
        if k == 1:
            return (rng.random(c) + 0.5).astype(np.float32)
        return (rng.standard_normal(c) * 0.1).astype(np.float32)
    if t in ("Mul", "Add") and args.int("broadcast", 0):
        c = x.shape[args.int("axis", -1)]
        return ((rng.random(c) + 0.5) if t == "Mul" else rng.standard_normal(c) * 0.1).astype(np.float32)
    raise ValueError(f"no weight rule for input {k} of {t}")


def generate_weights(net, inputs: dict, channels=8, classes=16, seed=0) -> dict:
    """{weight name: array} for every external input not in `inputs`."""
    rng = np.random.default_rng(seed)
    produced = {o for op in net.op for o in op.output}
    blobs = {n: torch.from_numpy(v) for n, v in inputs.items()}
    weights = {}
    with torch.inference_mode():
        for i, op in enumerate(net.op):
            args = Args(op.arg)
            for k, n in enumerate(op.input):
                if n not in blobs and n not in produced:
                    weights[n] = _new(op, blobs[op.input[0]], k, args, rng, channels, classes)
                    blobs[n] = torch.from_numpy(weights[n])
            spec = lookup(op.type)
            ctx = OpContext(op=op, args=args, index=i)
            if spec.prepare is not None:
                ctx.state = spec.prepare(ctx)
            r = spec.kernel(ctx, *[blobs[n] for n in op.input])
            for n, v in zip(op.output, r if isinstance(r, tuple) else (r,)):
                blobs[n] = v
    return weights
