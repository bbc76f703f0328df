"""RecurrentNetwork and LSTMUnit shapes (semantics: c2core/ops/recurrent.py).

T and N come from input 0 (T x N x ...). Each recurrent state is
(T + L) x N x S, S the last dimension of its initial value (L its first for a
3-D initial value, else 1); an alias of a state keeps the steps from its offset
on (offset -1: the last step only). The step workspaces output stays unknown.
"""

from __future__ import annotations

from ..rnn_args import rnn_aliases, strs
from .info import UNKNOWN, BlobInfo
from .registry import register


@register("RecurrentNetwork")
def recurrent_network(ctx):
    x = ctx.shape(0)
    t, n = x[0], x[1]
    op = ctx.op
    states = {}
    for name, idx in zip(strs(ctx.args, "recurrent_states"), ctx.args.ints("initial_recurrent_state_ids", []) or []):
        init = ctx.shape(int(idx))
        steps = init[0] if len(init) == 3 else 1
        states[name] = BlobInfo((t + steps if t >= 0 else -1, n, init[-1]), ctx.dtype(int(idx)))
    out = dict(states)
    for src, dst, offset in rnn_aliases(ctx.args):
        s = states.get(src)
        if s is None:
            continue
        total = s.shape[0]
        keep = (total - offset if offset >= 0 else -offset) if total >= 0 else -1
        out[dst] = BlobInfo((keep,) + tuple(s.shape[1:]), s.dtype)
    return [out.get(name, UNKNOWN) for name in op.output]


@register("LSTMUnit")
def lstm_unit(ctx):
    c = ctx.shape(1)
    return [BlobInfo(tuple(c), ctx.dtype(1)), BlobInfo(tuple(c), ctx.dtype(1))]
