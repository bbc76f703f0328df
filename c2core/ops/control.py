"""Control flow: If, While, and the small predicates nets test with (IsEmpty, Size).

Semantics of caffe2/operators/if_op.h, while_op.h, is_empty_op.h, size_op.h:

- If: input 0 is a bool tensor; its first element picks `then_net` or
  `else_net` (NetDefs in the op's arguments). The chosen sub-net runs on the
  enclosing net's blobs (Caffe2 runs it in the same workspace); the If op's
  outputs are the blobs the sub-net leaves behind. An output the taken
  branch does not write (or every output, with no `else_net` and a false
  condition) keeps the value it had before the If op.
- While: runs `cond_net` (if any) once, then while the condition blob (input 0,
  re-read by name after every sub-net run) is true runs `loop_net` and then
  `cond_net`. Caffe2 has no iteration limit; a file must not be able to hang
  this tool, so a loop stops with an error after `max_iterations` rounds (an
  integer argument of the op, default `MAX_ITERATIONS`). Outputs the loop
  never writes keep their previous values, as for If.
- IsEmpty: a bool scalar, numel == 0. Size: an int64 scalar, numel.

Sub-nets run through `ctx.run_subnet(netdef, blobs)`, which the runtime
provides: `blobs` are the op's inputs by name, anything else the sub-net
reads comes from the enclosing net; `ctx.read_blob(name)` gives an enclosing
blob's current value.
"""

from __future__ import annotations

import torch

from .registry import register


def _condition(value, ctx, single: bool) -> bool:
    """The first element of a bool tensor; If also insists on exactly one."""
    if not isinstance(value, torch.Tensor) or value.dtype != torch.bool:
        got = getattr(value, "dtype", type(value).__name__)
        raise TypeError(f"{ctx.type}: the condition (input 0) must be a bool tensor, got {got}")
    if value.numel() == 0 or (single and value.numel() != 1):
        raise ValueError(f"{ctx.type}: the condition (input 0) must hold a single value, got shape {list(value.shape)}")
    return bool(value.reshape(-1)[0])


def _subnet_runner(ctx):
    if ctx.run_subnet is None:
        raise RuntimeError(f"{ctx.type} needs a runtime that can run sub-nets")
    return ctx.run_subnet


def _outputs(ctx, env: dict):
    """The op's outputs: what the sub-nets left, else the previous value."""
    read = ctx.read_blob or (lambda name: None)
    vals = tuple(env[name] if name in env else read(name) for name in ctx.op.output)
    return vals[0] if len(vals) == 1 else vals


def _net_args(required: str, optional: str):
    """prepare hook: (required NetDef, optional NetDef or None) from the op's arguments."""

    def prepare(ctx):
        main = ctx.args.get(required)
        if main is None or isinstance(main, list):
            raise ValueError(f"{ctx.type} needs a `{required}` argument (a NetDef)")
        other = ctx.args.get(optional)
        return main, (other if not isinstance(other, list) else None)

    return prepare


@register("If", prepare=_net_args("then_net", "else_net"), view=True)  # outputs may be input tensors
def if_op(ctx, cond, *rest):
    then_net, else_net = ctx.state
    env = dict(zip(ctx.op.input, (cond,) + rest))
    net = then_net if _condition(cond, ctx, single=True) else else_net
    if net is not None:
        env.update(_subnet_runner(ctx)(net, env))
    return _outputs(ctx, env)


MAX_ITERATIONS = 100_000


def _while_prep(ctx):
    nets = _net_args("loop_net", "cond_net")(ctx)
    cap = ctx.args.get("max_iterations", MAX_ITERATIONS)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
        raise ValueError(f"argument 'max_iterations' must be a non-negative integer, got {cap!r}")
    return nets + (cap,)


@register("While", prepare=_while_prep, view=True)
def while_op(ctx, cond, *rest):
    loop_net, cond_net, cap = ctx.state
    run = _subnet_runner(ctx)
    env = dict(zip(ctx.op.input, (cond,) + rest))
    cond_name = ctx.op.input[0]
    if cond_net is not None:
        env.update(run(cond_net, env))
    rounds = 0
    while _condition(env[cond_name], ctx, single=False):
        if rounds >= cap:
            from ..errors import C2Error

            raise C2Error(f"loop still running after {cap:,} iterations (its condition had not turned false): "
                          "stopped (raise the limit with the op's integer argument 'max_iterations')")
        rounds += 1
        env.update(run(loop_net, env))
        if cond_net is not None:
            env.update(run(cond_net, env))
    return _outputs(ctx, env)


def _numel(x) -> int:
    return int(x.numel()) if hasattr(x, "numel") else int(torch.as_tensor(x).numel())


@register("IsEmpty")
def is_empty(ctx, x):
    return torch.tensor(_numel(x) == 0, dtype=torch.bool)


@register("Size")
def size_op(ctx, x):
    return torch.tensor(_numel(x), dtype=torch.int64)
