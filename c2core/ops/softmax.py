"""Softmax and LogSoftmax (caffe2/operators/softmax_op.cc).

The input is coerced to 2-D at `axis` (default 1): rows are
prod(shape[:axis]), columns everything after, and each row is normalised.
So an N×C×H×W input is normalised over all of C·H·W, not per pixel.
Y = exp(x - max) / Σ exp(x - max) per row; LogSoftmax gives its log.
"""

from __future__ import annotations

import math

from .registry import register


def _prep(ctx):
    return ctx.args.int("axis")


def _rows(x, axis):
    if x.dim() and not -x.dim() <= axis < x.dim():  # Caffe2's canonical_axis_index enforces it
        raise ValueError(f"axis {axis} is out of range for a {x.dim()}-D input")
    axis = axis % x.dim() if x.dim() else 0
    return x.reshape(math.prod(x.shape[:axis]), -1)


@register("Softmax", prepare=_prep)
def softmax(ctx, x):
    if x.dim() == 2 and ctx.state in (1, -1):
        return x.softmax(1)
    return _rows(x, ctx.state).softmax(1).reshape(x.shape)


@register("LogSoftmax", prepare=_prep)
def log_softmax(ctx, x):
    return _rows(x, ctx.state).log_softmax(1).reshape(x.shape)
