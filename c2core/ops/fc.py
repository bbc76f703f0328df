"""FC and FCTransposed (caffe2/operators/fully_connected_op.h).

FC(X, W, b) -> Y. X is viewed as 2-D [M, K] by splitting its shape at
`axis` (default 1: M = prod(X.shape[:axis]), K = the rest); W as [N, K]
split at `axis_w` (default 1). Y = X·Wᵀ + b with shape X.shape[:axis] + [N].
FCTransposed stores W as [K, N] (split at `axis_w`) and computes X·W + b.
"""

from __future__ import annotations

import math

import torch.nn.functional as F

from .registry import register


class _FCState:
    __slots__ = ("axis", "axis_w", "w", "b", "transposed", "simple")


def _prepare(ctx):
    s = _FCState()
    s.axis = ctx.args.int("axis")
    s.axis_w = ctx.args.int("axis_w")
    s.transposed = ctx.type == "FCTransposed"
    w = ctx.consts[1] if len(ctx.consts) > 1 else None
    s.w = _as_linear_weight(w, s.axis_w, s.transposed).contiguous() if w is not None else None
    s.b = ctx.consts[2] if len(ctx.consts) > 2 else None
    s.simple = s.axis == 1
    return s


def _check_axis(name: str, axis: int, ndim: int, what: str) -> None:
    """Caffe2's canonical_axis_index: -ndim <= axis < ndim (a wrapped axis runs another net)."""
    if ndim and not -ndim <= axis < ndim:
        raise ValueError(f"{name} {axis} is out of range for a {ndim}-D {what}")


def _as_linear_weight(w, axis_w, transposed):
    """W as the [N, K] matrix F.linear wants."""
    _check_axis("axis_w", axis_w, w.dim(), "weight")
    axis_w = axis_w % w.dim() if w.dim() else 0
    head = math.prod(w.shape[:axis_w])
    w2 = w.reshape(head, -1)
    return w2.t() if transposed else w2


@register("FC", "FCTransposed", prepare=_prepare)
def fc(ctx, x, w, b=None):
    s = ctx.state
    w2 = s.w if s.w is not None else _as_linear_weight(w, s.axis_w, s.transposed)
    if s.b is not None:
        b = s.b
    if b is not None:
        b = b.reshape(-1)
    if s.simple and x.dim() == 2:
        return F.linear(x, w2, b)
    _check_axis("axis", s.axis, x.dim(), "input")
    axis = s.axis % x.dim()
    lead = x.shape[:axis]
    y = F.linear(x.reshape(math.prod(lead), -1), w2, b)
    return y.reshape(tuple(lead) + (w2.shape[0],))
