"""Binary and variadic elementwise math (caffe2/operators/elementwise_ops.h,
elementwise_ops_utils.cc, elementwise_sum_op.cc, minmax_ops.cc, pow_op.cc).

Add/Sub/Mul/Div/Pow(A, B) -> C:
- `broadcast=0` (default): NumPy broadcasting of A and B.
- `broadcast=1` (legacy): B's shape is a contiguous block of A's shape
  starting at `axis` (default -1 = aligned to A's suffix; `axis_str` names
  the axis by a letter of `order`); the output has A's shape. Leading and
  trailing size-1 dims of B simply broadcast.
Pow also takes a single input with the `exponent` argument.
Div of integer tensors truncates toward zero like C++.
Sum(X0, X1, ...) adds same-shape inputs; Max/Min(X0, ...) take the
elementwise extreme (NumPy broadcasting); Mean(X0, ...) averages same-shape
inputs (mean_op.h).
"""

from __future__ import annotations

import torch

from .registry import register


class _BinState:
    __slots__ = ("legacy", "axis", "b_const", "b_cache")


def _bin_prep(ctx):
    a = ctx.args
    s = _BinState()
    s.legacy = bool(a.int("broadcast"))
    axis = a.int("axis")
    if "axis_str" in a:
        order = a.str("order").upper()
        letter = a.str("axis_str").upper()
        if len(letter) != 1 or letter not in order:
            raise ValueError(f"axis_str '{letter}' is not a letter of order '{order}'")
        axis = order.index(letter)
    s.axis = axis
    s.b_const = ctx.consts[1] if len(ctx.consts) > 1 else None
    s.b_cache = {}
    return s


def legacy_view(b, a_dim: int, axis: int):
    """B reshaped so NumPy broadcasting does Caffe2's legacy broadcast."""
    bd = b.dim()
    if bd > a_dim:
        raise ValueError(f"legacy broadcast: B has more dims ({bd}) than A ({a_dim})")
    if axis == -1:
        axis = a_dim - bd
    if axis < 0 or axis + bd > a_dim:
        raise ValueError(f"legacy broadcast: axis {axis} puts B (rank {bd}) outside A (rank {a_dim})")
    return b.reshape((1,) * axis + tuple(b.shape) + (1,) * (a_dim - axis - bd))


def _operand(s, a, b):
    if not s.legacy:
        return b
    if s.b_const is not None:
        v = s.b_cache.get(a.dim())
        if v is None:
            v = s.b_cache[a.dim()] = legacy_view(s.b_const, a.dim(), s.axis)
        return v
    return legacy_view(b, a.dim(), s.axis)


def _check_legacy(s, a, c):
    if s.legacy and c.shape != a.shape:
        raise ValueError(f"legacy broadcast: B does not match A's shape {tuple(a.shape)} at axis {s.axis}")
    return c


def _binary(name, fn, inplace_fn=None):
    def kernel(ctx, a, b):
        s = ctx.state
        return _check_legacy(s, a, fn(a, _operand(s, a, b)))

    kernel.__name__ = name.lower()

    ip = None
    if inplace_fn is not None:

        def ip(ctx, a, b):
            s = ctx.state
            bb = _operand(s, a, b)
            if bb.dim() <= a.dim() and bb.dtype == a.dtype:
                try:
                    return inplace_fn(a, bb)
                except RuntimeError:
                    pass
            return _check_legacy(s, a, fn(a, bb))

        ip.__name__ = name.lower() + "_"
    register(name, prepare=_bin_prep, inplace=ip)(kernel)


def _div(a, b):
    if not a.is_floating_point() and not (isinstance(b, torch.Tensor) and b.is_floating_point()):
        return torch.div(a, b, rounding_mode="trunc")
    return a / b


_binary("Add", torch.add, lambda a, b: a.add_(b))
_binary("Sub", torch.sub, lambda a, b: a.sub_(b))
_binary("Mul", torch.mul, lambda a, b: a.mul_(b))
_binary("Div", _div)


def _pow_prep(ctx):
    s = _bin_prep(ctx)
    e = ctx.args.float("exponent") if "exponent" in ctx.args else None
    return s, e


@register("Pow", prepare=_pow_prep)
def pow_(ctx, a, b=None):
    s, e = ctx.state
    if e is not None and b is None:
        return torch.pow(a, e)
    return _check_legacy(s, a, torch.pow(a, _operand(s, a, b)))


def _sum_(ctx, x, *rest):
    for r in rest:
        x = x.add_(r)
    return x


@register("Sum", inplace=_sum_)
def sum_(ctx, x, *rest):
    if not rest:
        return x.clone()
    y = x + rest[0]
    for r in rest[1:]:
        y += r
    return y


def _fold(op_type: str, fn):
    """Register a variadic elementwise op folding `fn` over its inputs (Max, Min)."""

    def kernel(ctx, x, *rest):
        y = x
        for r in rest:
            y = fn(y, r)
        return y.clone() if y is x else y

    kernel.__name__ = f"{op_type.lower()}_"
    register(op_type)(kernel)


_fold("Max", torch.maximum)


@register("Mean")
def mean(ctx, x, *rest):
    """Elementwise mean of same-shape inputs (mean_op.h: sum, then times 1/n)."""
    for r in rest:
        if r.shape != x.shape:
            raise ValueError(f"{ctx.where}: inputs must have the same shape, got {list(x.shape)} and {list(r.shape)}")
    total = x.clone()
    for r in rest:
        total += r
    return total * (1.0 / (len(rest) + 1))


_fold("Min", torch.minimum)
