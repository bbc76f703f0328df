"""Walk a net in order, applying each op's rule to a name -> BlobInfo map.

Blob names are versioned (in-place ops rewrite a name), so the walk records
every op's outputs (`per_op`) as well as the final map. A missing rule, or a
rule that meets an input it cannot know (`Unknown`) or a net that contradicts
itself (`BadNet`), marks that op's outputs unknown and the walk goes on; so
does a rule that crashes, because a user's odd net must still open. Strict
mode (`strict_rules(True)`, or C2CORE_STRICT=1, which the test suite sets)
re-raises a crash instead, so that a broken rule fails the tests rather than
hiding behind an unknown shape.
"""

from __future__ import annotations

from ..errors import C2Error, strict_checks
from .info import UNKNOWN, BadNet, BlobInfo
from .registry import RULES, RuleContext, Unknown

MAX_SUBNET_DEPTH = 16

_STRICT = strict_checks()


def strict_rules(on: bool | None = None) -> bool:
    """Whether a rule that crashes (raises anything but `Unknown`, `BadNet` or a
    `C2Error`) propagates its exception; with `on`, set it. Returns the previous value."""
    global _STRICT
    prev = _STRICT
    if on is not None:
        _STRICT = bool(on)
    return prev


def _coerce(out) -> BlobInfo:
    if isinstance(out, BlobInfo):
        return out
    if out is None:
        return UNKNOWN
    shape, dtype = out
    return BlobInfo(None if shape is None else tuple(int(d) for d in shape), dtype)


def infer_op(op, env: dict, subnet=None, consts: dict | None = None) -> list[BlobInfo]:
    """Output infos of one op given the current env (never raises)."""
    n = len(op.output)
    fn = RULES.get(op.type)
    if fn is None:
        return [UNKNOWN] * n
    ctx = RuleContext(op, [env.get(name, UNKNOWN) for name in op.input], env, subnet, consts)
    try:
        outs = fn(ctx)
        outs = [_coerce(o) for o in outs][:n]
    except (Unknown, BadNet, C2Error, RecursionError):
        return [UNKNOWN] * n
    except Exception:  # noqa: BLE001 - a broken rule or bad net: outputs unknown, walk continues
        if _STRICT:
            raise
        return [UNKNOWN] * n
    if len(outs) < n:
        outs += [UNKNOWN] * (n - len(outs))
    return outs


def run_net(net, env: dict, depth: int = 0, consts: dict | None = None) -> list[list[BlobInfo]]:
    """Infer every op of `net`, updating `env` in place; returns per-op outputs.

    `consts`: name -> values of small constant weights (a Reshape's shape
    input...); a name stops being constant once an op writes it.
    """
    consts = dict(consts or {})

    def subnet(sub, sub_env):
        if depth >= MAX_SUBNET_DEPTH:
            raise RecursionError("sub-nets nested too deep")
        e = dict(sub_env)
        run_net(sub, e, depth + 1, consts)
        return e

    per_op = []
    for op in net.op:
        outs = infer_op(op, env, subnet, consts)
        for name, info in zip(op.output, outs):
            env[name] = info
            consts.pop(name, None)
        per_op.append(outs)
    return per_op
