"""MatMul and BatchMatMul (caffe2/operators/matmul_op.h, batch_matmul_op.h).

MatMul(A, B) -> Y: A is flattened to 2-D at `axis_a` (default 1), B at
`axis_b` (default 1); `trans_a` / `trans_b` transpose them; Y = A·B (2-D).

BatchMatMul(A, B) -> Y: matrix product over the last two axes with
`trans_a` / `trans_b`; leading axes must match unless `broadcast=1`, which
broadcasts them NumPy-style. 1-D operands follow NumPy matmul rules.
"""

from __future__ import annotations

import math

import torch

from .registry import register


def _prep_mm(ctx):
    a = ctx.args
    return (a.int("axis_a"), a.int("axis_b"), bool(a.int("trans_a")), bool(a.int("trans_b")))


@register("MatMul", prepare=_prep_mm)
def matmul(ctx, a, b):
    axis_a, axis_b, ta, tb = ctx.state
    a2 = a.reshape(math.prod(a.shape[: axis_a % a.dim()]), -1) if a.dim() != 2 else a
    b2 = b.reshape(math.prod(b.shape[: axis_b % b.dim()]), -1) if b.dim() != 2 else b
    if ta:
        a2 = a2.t()
    if tb:
        b2 = b2.t()
    return a2 @ b2


def _prep_bmm(ctx):
    a = ctx.args
    return (bool(a.int("trans_a")), bool(a.int("trans_b")), bool(a.int("broadcast")))


@register("BatchMatMul", prepare=_prep_bmm)
def batch_matmul(ctx, a, b):
    ta, tb, bc = ctx.state
    if ta and a.dim() >= 2:
        a = a.transpose(-1, -2)
    if tb and b.dim() >= 2:
        b = b.transpose(-1, -2)
    if not bc and a.dim() >= 3 and b.dim() >= 3 and a.shape[:-2] != b.shape[:-2]:
        raise ValueError(f"batch dimensions differ: {tuple(a.shape[:-2])} vs {tuple(b.shape[:-2])} (set broadcast=1)")
    return torch.matmul(a, b)
