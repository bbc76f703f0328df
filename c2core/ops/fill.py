"""Fill ops inside a predict net (caffe2/operators/filler_op.h,
given_tensor_fill_op.h).

GivenTensor*Fill (Int8 fills live in int8.py), the random initialisers and input-free ConstantFill make
the same arrays as in an init net (`c2core.fills.run_fill`), computed once
at prepare time. ConstantFill(X) takes its shape from X (or, with
`input_as_shape=1`, from X's values) followed by `extra_shape`, and fills
`value` (default 0) as `dtype` (default FLOAT).
"""

from __future__ import annotations

import numpy as np
import torch

from .. import budget
from ..fills import DTYPE_OF_PROTO, FILL_OPS, run_fill
from ._arrays import tensor_from_numpy
from .registry import register


def _prep(ctx):
    if ctx.type == "ConstantFill" and len(ctx.op.input):
        a = ctx.args
        dt = DTYPE_OF_PROTO.get(a.int("dtype"), np.float32)
        value = a.get("value", 0)
        if isinstance(value, list):
            value = value[0] if value else 0
        return ("dynamic", bool(a.int("input_as_shape")), list(a.ints("extra_shape", []) or []), torch.from_numpy(np.zeros((), dtype=dt)).dtype, value)
    (w,) = run_fill(ctx.op, ctx.index)
    if w.array.dtype == object:
        raise ValueError("string tensors cannot be executed")
    return ("const", tensor_from_numpy(w.array).to(ctx.device))


@register(*sorted(t for t in FILL_OPS if not t.startswith("Int8")), prepare=_prep, view=True)
def fill(ctx, x=None):
    s = ctx.state
    if s[0] == "const":
        return s[1]
    _, as_shape, extra, dtype, value = s
    shape = [int(v) for v in x.reshape(-1).tolist()] if as_shape else list(x.shape)
    budget.check_output(shape + extra, torch.empty((), dtype=dtype).element_size(), "output")
    return torch.full(shape + extra, value, dtype=dtype, device=x.device)
