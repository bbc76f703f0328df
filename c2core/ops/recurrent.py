"""RecurrentNetwork and LSTMUnit (caffe2/operators/recurrent_network_op.h, lstm_unit_op.h).

RecurrentNetwork runs `step_net` (a NetDef, usually stored as a text-format
string) once per time step t = 0..T-1, T = dim 0 of input 0 (T x N x D), N = dim 1:

- recurrent_states[i] is a (T + L) x N x S tensor whose first L steps are copied
  from op input initial_recurrent_state_ids[i] (1-D: the same for every batch
  row; 2-D: N x S, L = 1; 3-D: L x N x S).
- links (link_internal / link_external / link_offset / link_window): at step t the
  step net sees `internal` = external[t + offset : t + offset + window]. Caffe2
  shares memory, so what the step net writes there lands in the external tensor;
  here the written value is copied back into that slice after the step.
- the step net also sees the op's inputs by name and `timestep` (int32 [t]).
- after the loop, aliases (alias_src / alias_dst / alias_offset): dst = src from
  step `offset` on (a negative offset counts from the end: -1 = the last step).

The op's outputs are looked up by name among the aliases and the states; the
last output (Caffe2's step workspaces) is an empty placeholder.

LSTMUnit(hidden_t_prev, cell_t_prev, gates 1 x N x 4D, seq_lengths, timestep):
gates in the order i, f, o, g: c = sigmoid(f + forget_bias) * c_prev +
sigmoid(i) * tanh(g), h = sigmoid(o) * tanh(c); rows whose sequence ended
(t >= seq_lengths[n]) keep their previous state, or get zeros with drop_states.
With sequence_lengths = 0 there is no seq_lengths input (timestep is input 3).
"""

from __future__ import annotations

import torch

from ..rnn_args import rnn_aliases, rnn_links, strs
from .registry import register

STEP_ARGS = ("step_net",)


def _step_net(ctx):
    a = next((x for x in ctx.op.arg if x.name == "step_net"), None)
    if a is None:
        raise ValueError("RecurrentNetwork has no step_net argument")
    if a.HasField("n"):
        return a.n
    from ..graph import parse_text_net

    net = parse_text_net(a.s)
    if net is None:
        raise ValueError("step_net is not a text-format NetDef")
    return net


def _prepare_rnn(ctx):
    a = ctx.args
    links = rnn_links(a)
    states = strs(a, "recurrent_states")
    ids = list(a.ints("initial_recurrent_state_ids", []) or [])
    if len(states) != len(ids):
        raise ValueError(f"{len(states)} recurrent_states but {len(ids)} initial_recurrent_state_ids")
    aliases = rnn_aliases(a)
    return {"net": _step_net(ctx), "links": links, "states": list(zip(states, ids)), "aliases": aliases,
            "timestep": a.str("timestep")}


def _initial_state(x, seq_len, batch):
    if x.dim() == 1:
        first = x.reshape(1, 1, -1).expand(1, batch, x.shape[0])
    elif x.dim() == 2:
        first = x.reshape(1, *x.shape)
    elif x.dim() == 3:
        first = x
    else:
        raise ValueError(f"initial recurrent state must be 1-D to 3-D, got {list(x.shape)}")
    if first.shape[1] != batch:
        raise ValueError(f"initial recurrent state has batch {first.shape[1]}, the sequence has {batch}")
    state = torch.zeros((seq_len + first.shape[0], batch, first.shape[2]), dtype=x.dtype, device=x.device)
    state[: first.shape[0]] = first
    return state


@register("RecurrentNetwork", prepare=_prepare_rnn)
def recurrent_network(ctx, *inputs):
    s = ctx.state
    if ctx.run_subnet is None:
        raise RuntimeError("RecurrentNetwork needs a runtime that can run sub-nets")
    x0 = inputs[0]
    if x0.dim() < 2:
        raise ValueError(f"input 0 must be T x N x ..., got {list(x0.shape)}")
    seq_len, batch = int(x0.shape[0]), int(x0.shape[1])
    by_name = dict(zip(ctx.op.input, inputs))
    tensors = dict(by_name)
    for name, idx in s["states"]:
        tensors[name] = _initial_state(inputs[idx], seq_len, batch)
    for t in range(seq_len):
        blobs = dict(by_name)
        blobs[s["timestep"]] = torch.tensor([t], dtype=torch.int32)
        for internal, external, offset, window in s["links"]:
            ext = tensors.get(external)
            if ext is None:
                raise ValueError(f"link '{internal}' -> '{external}': no such recurrent state or input")
            blobs[internal] = ext[t + offset: t + offset + window]
        out = ctx.run_subnet(s["net"], blobs)
        for internal, external, offset, window in s["links"]:
            v = out.get(internal)
            if v is not None and v is not blobs[internal] and external in (n for n, _ in s["states"]):
                tensors[external][t + offset: t + offset + window] = v.reshape(tensors[external][t + offset: t + offset + window].shape)
    results = dict(tensors)
    for src, dst, offset in s["aliases"]:
        v = tensors[src]
        start = offset if offset >= 0 else v.shape[0] + offset
        if not 0 <= start < v.shape[0]:
            raise ValueError(f"alias '{dst}': offset {offset} outside the {v.shape[0]} steps of '{src}'")
        results[dst] = v[start:]
    outs = tuple(results.get(n, torch.empty(0)) for n in ctx.op.output)
    return outs if len(outs) > 1 else outs[0]


def _prepare_lstm(ctx):
    a = ctx.args
    return a.float("forget_bias"), bool(a.int("drop_states")), bool(a.int("sequence_lengths"))


@register("LSTMUnit", prepare=_prepare_lstm)
def lstm_unit(ctx, h_prev, c_prev, gates, *rest):
    forget_bias, drop, has_lengths = ctx.state
    if has_lengths:
        lengths, t = rest[0], int(rest[1].reshape(-1)[0])
    else:
        lengths, t = None, int(rest[0].reshape(-1)[0])
    d = c_prev.shape[-1]
    if gates.shape[-1] != 4 * d:
        raise ValueError(f"gates have {gates.shape[-1]} values per row, expected 4 x {d}")
    i, f, o, g = gates.split(d, dim=-1)
    c = torch.sigmoid(f + forget_bias) * c_prev + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if lengths is not None:
        valid = (lengths.reshape(-1).to(torch.int64) > t).reshape(1, -1, 1)
        keep_h = torch.zeros_like(h_prev) if drop else h_prev
        keep_c = torch.zeros_like(c_prev) if drop else c_prev
        h = torch.where(valid, h, keep_h)
        c = torch.where(valid, c, keep_c)
    return h, c
