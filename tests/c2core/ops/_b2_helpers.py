"""Call one registered kernel directly, as the runtime would, for op-level tests.

`call_op("Int8Conv", [x, w, b], Y_scale=0.5)` builds the OperatorDef with the
builder, parses its arguments, runs the kernel's `prepare` and then the kernel.
"""

from __future__ import annotations

from c2core.args import Args
from c2core.builder import NetBuilder
from c2core.ops.registry import OpContext, lookup


def make_op(op_type: str, n_in: int, n_out: int = 1, **args):
    b = NetBuilder("t")
    return b.op(op_type, [f"in{i}" for i in range(n_in)], [f"out{i}" for i in range(n_out)], **args)


def call_op(op_type: str, inputs, n_out: int = 1, run_subnet=None, **args):
    spec = lookup(op_type)
    assert spec is not None, f"{op_type} is not registered"
    op = make_op(op_type, len(inputs), n_out, **args)
    ctx = OpContext(op=op, args=Args(op.arg, op.type), index=0, run_subnet=run_subnet)
    if spec.prepare is not None:
        ctx.state = spec.prepare(ctx)
    return spec.kernel(ctx, *inputs)
