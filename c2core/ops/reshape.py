"""Shape-only ops (caffe2/operators/reshape_op.h, flatten_op.h,
flatten_to_vec, transpose_op.h, expand_squeeze_dims_op.h, shape_op.h,
order_switch_ops.cc).

- Reshape(X[, shape]) -> Y, old_shape: new shape from the `shape` argument
  or the second input; 0 copies the input dim at that position, -1 is
  inferred. old_shape is X's shape as int64.
- Flatten(X) -> 2-D [prod(shape[:axis]), rest] (`axis` default 1).
- FlattenToVec(X) -> 1-D.
- Transpose(X) -> permuted by `axes` (default: reversed).
- Squeeze(X) removes the size-1 axes listed in `dims`; ExpandDims(X) inserts
  size-1 axes at the (sorted) positions in `dims`.
- Shape(X) -> int64 vector of X's dims (only those in `axes` when given).
- NCHW2NHWC / NHWC2NCHW move the channel axis last / to axis 1.
Results may share memory with the input (views), as Caffe2's in-place
Reshape does.
"""

from __future__ import annotations

import math

import torch

from .registry import register


def _reshape_prep(ctx):
    return ctx.args.ints("shape"), len(ctx.op.output) > 1


def new_shape(old, spec):
    """Caffe2's Reshape rule: 0 copies, -1 infers."""
    out = []
    for i, d in enumerate(spec):
        if d == 0:
            if i >= len(old):
                raise ValueError(f"shape {spec}: 0 at position {i} but the input has only {len(old)} dims")
            out.append(int(old[i]))
        else:
            out.append(int(d))
    if out.count(-1) > 1:
        raise ValueError(f"shape {spec}: more than one -1")
    total = math.prod(old)
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or total % known:
            raise ValueError(f"cannot reshape {list(old)} to {spec}")
        out[out.index(-1)] = total // known
    if math.prod(out) != total:
        raise ValueError(f"cannot reshape {list(old)} ({total} elements) to {spec}")
    return out


@register("Reshape", prepare=_reshape_prep, view=True)
def reshape(ctx, x, shape=None):
    spec, want_old = ctx.state
    if shape is not None:
        spec = [int(v) for v in shape.tolist()]
    if spec is None:
        raise ValueError("Reshape needs a 'shape' argument or a second input")
    y = x.reshape(new_shape(tuple(x.shape), spec))
    if want_old:
        return y, torch.tensor(tuple(x.shape), dtype=torch.int64, device=x.device)
    return y


@register("Flatten", prepare=lambda ctx: ctx.args.int("axis"), view=True)
def flatten(ctx, x):
    axis = ctx.state if ctx.state >= 0 else ctx.state + x.dim()
    return x.reshape(math.prod(x.shape[:axis]), -1)


@register("FlattenToVec", view=True)
def flatten_to_vec(ctx, x):
    return x.reshape(-1)


@register("Transpose", prepare=lambda ctx: ctx.args.ints("axes"), view=True)
def transpose(ctx, x):
    axes = ctx.state
    if not axes:
        axes = list(reversed(range(x.dim())))
    return x.permute(*axes)


@register("Squeeze", prepare=lambda ctx: sorted(set(ctx.args.ints("dims", []) or [])), view=True)
def squeeze(ctx, x):
    y = x
    for d in reversed(ctx.state):
        if y.shape[d] != 1:
            raise ValueError(f"cannot squeeze dim {d} of size {y.shape[d]}")
        y = y.squeeze(d)
    return y


@register("ExpandDims", prepare=lambda ctx: sorted(set(ctx.args.ints("dims", []) or [])), view=True)
def expand_dims(ctx, x):
    y = x
    for d in ctx.state:
        y = y.unsqueeze(d)
    return y


@register("Shape", prepare=lambda ctx: ctx.args.ints("axes"))
def shape(ctx, x):
    dims = list(x.shape)
    if ctx.state:
        dims = [dims[a] for a in ctx.state]
    return torch.tensor(dims, dtype=torch.int64, device=x.device)


@register("NCHW2NHWC", view=True)
def nchw2nhwc(ctx, x):
    return x.movedim(1, -1)


@register("NHWC2NCHW", view=True)
def nhwc2nchw(ctx, x):
    return x.movedim(-1, 1)
