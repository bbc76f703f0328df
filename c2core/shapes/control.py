"""Control flow: If and While run their sub-nets on a copy of the blob map.

An output is known only when every path agrees on it: If compares the
then_net and else_net results (no else_net: the value before the op); While
requires the loop body to leave the blob as it was before the loop. Where the
paths disagree the shape is unknown (the dtype is kept when they agree on it).
"""

from __future__ import annotations

from .info import BadNet, BlobInfo, UNKNOWN
from .registry import register


def _agree(a: BlobInfo | None, b: BlobInfo | None) -> BlobInfo:
    a = a or UNKNOWN
    b = b or UNKNOWN
    if a == b:
        return a
    return BlobInfo(None, a.dtype if a.dtype == b.dtype else None)


_REQUIRED = object()


def _after(ctx, arg: str, env: dict, absent=_REQUIRED) -> dict:
    """The blob map after the sub-net in argument `arg` runs on `env`;
    `absent` when the op has no such argument (an error if none is given)."""
    net = ctx.args.get(arg)
    if net is not None:
        return ctx.run_subnet(net, env)
    if absent is _REQUIRED:
        raise BadNet(f"{ctx.type} without {arg}")
    return absent


@register("If")
def if_(ctx):
    then_env = _after(ctx, "then_net", ctx.env)
    else_env = _after(ctx, "else_net", ctx.env, absent=ctx.env)  # no else: blobs keep their values
    return [_agree(then_env.get(n), else_env.get(n)) for n in ctx.op.output]


@register("While")
def while_(ctx):
    after = _after(ctx, "loop_net", ctx.env)
    after = _after(ctx, "cond_net", after, absent=after)
    return [_agree(ctx.env.get(n), after.get(n)) for n in ctx.op.output]
