"""Control flow: If and While run their sub-nets on a copy of the blob map.

An output is known only when every path agrees on it: If compares the
then_net and else_net results (no else_net: the value before the op); While
requires the loop body to leave the blob as it was before the loop. Where the
paths disagree the shape is unknown (the dtype is kept when they agree on it).
"""

from __future__ import annotations

from .info import UNKNOWN, BlobInfo
from .registry import rule


def _agree(a: BlobInfo | None, b: BlobInfo | None) -> BlobInfo:
    a = a or UNKNOWN
    b = b or UNKNOWN
    if a == b:
        return a
    return BlobInfo(None, a.dtype if a.dtype == b.dtype else None)


@rule("If")
def if_(ctx):
    then_net = ctx.args.get("then_net")
    if then_net is None:
        raise ValueError("If without then_net")
    then_env = ctx.run_subnet(then_net, ctx.env)
    else_net = ctx.args.get("else_net")
    else_env = ctx.run_subnet(else_net, ctx.env) if else_net is not None else ctx.env
    return [_agree(then_env.get(n), else_env.get(n)) for n in ctx.op.output]


@rule("While")
def while_(ctx):
    body = ctx.args.get("loop_net")
    if body is None:
        raise ValueError("While without loop_net")
    after = ctx.run_subnet(body, ctx.env)
    cond = ctx.args.get("cond_net")
    if cond is not None:
        after = ctx.run_subnet(cond, after)
    return [_agree(ctx.env.get(n), after.get(n)) for n in ctx.op.output]
