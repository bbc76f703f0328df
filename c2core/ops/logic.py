"""Comparisons and boolean logic (caffe2/operators/elementwise_ops_schema.cc).

EQ, NE, LT, LE, GT, GE(A, B) -> bool; And, Or, Xor(A, B) on bool tensors;
Not(X). Broadcasting as for Add: NumPy rules by default, Caffe2's legacy
`broadcast=1` (+ `axis`) aligns B to a block of A's dims. Control-flow nets
compute If/While conditions with these.
"""

from __future__ import annotations

import torch

from .elementwise import legacy_view
from .registry import register


def _prep(ctx):
    return bool(ctx.args.int("broadcast")), ctx.args.int("axis")


def _align(ctx, a, b):
    legacy, axis = ctx.state
    return legacy_view(b, a.dim(), axis) if legacy else b


def _require_bool(ctx, *xs):
    for x in xs:
        if x.dtype != torch.bool:
            raise TypeError(f"{ctx.type} takes bool tensors, got {x.dtype}")


def _comparison(name, fn):
    def kernel(ctx, a, b):
        return fn(a, _align(ctx, a, b))

    kernel.__name__ = name.lower()
    register(name, prepare=_prep)(kernel)


def _logical(name, fn):
    def kernel(ctx, a, b):
        _require_bool(ctx, a, b)
        return fn(a, _align(ctx, a, b))

    kernel.__name__ = name.lower()
    register(name, prepare=_prep)(kernel)


for _name, _fn in (("EQ", torch.eq), ("NE", torch.ne), ("LT", torch.lt), ("LE", torch.le), ("GT", torch.gt), ("GE", torch.ge)):
    _comparison(_name, _fn)
for _name, _fn in (("And", torch.logical_and), ("Or", torch.logical_or), ("Xor", torch.logical_xor)):
    _logical(_name, _fn)


@register("Not")
def not_op(ctx, x):
    _require_bool(ctx, x)
    return torch.logical_not(x)
