"""Prepare-time folding of per-channel affine ops into the op before them.

Rules (each exact in real arithmetic; float results move by rounding only):

1. Conv -> SpatialBN: W' = W·a, b' = b·a + (bias - mean·a) with
   a = scale / sqrt(var + epsilon), per output channel.
2. Conv -> Mul by a per-channel constant (Caffe-translated scale layers:
   `broadcast=1 axis=1`): W' = W·s, b' = b·s.
3. Conv -> Add of a per-channel constant: b' = b + c.
4. SpatialBN -> Mul / Add by per-channel constants (DenseNet's BN + scale
   pairs): scale' = scale·s, bias' = bias·s (+ c).

A fold happens only when the first op's output (this version of the blob)
has exactly that one reader, is neither a net output nor a blob the caller
wants to fetch, every operand is a constant weight, channel orders agree,
and moving the second op's output name up to the first op clashes with no
op in between. ConvTranspose is never folded (its weight is [C_in, M, ...]).
Folded weights get new names, so weights shared with other ops stay intact.
"""

from __future__ import annotations

import numpy as np

from ..args import Args

_CONV = ("Conv", "Conv1D", "Conv2D", "Conv3D")


def _readers(ops, i, name):
    """Indices of ops after i that read this version of `name`."""
    out = []
    for j in range(i + 1, len(ops)):
        if name in ops[j].input:
            out.append(j)
        if name in ops[j].output:
            break
    return out


def _order(op) -> str:
    return Args(op.arg).str("order", "NCHW").upper()


def _channel_vector(op, const, rank, nchw: bool, channels: int):
    """The per-channel vector a Mul/Add constant amounts to, or None.

    `rank` may be None (unknown): then only legacy broadcasts that name the
    channel axis directly are understood.
    """
    a = Args(op.arg)
    c = np.asarray(const)
    if c.dtype != np.float32:
        return None
    ch_axis = 1 if nchw else (rank - 1 if rank is not None else None)
    if a.int("broadcast", 0):
        axis = a.int("axis", -1)
        if "axis_str" in a:
            return None
        if axis == -1:
            if rank is None and not (not nchw and c.ndim == 1):
                return None
            axis = (rank - c.ndim) if rank is not None else None
            if axis is None:  # NHWC, 1-D constant aligned to the suffix = channels
                return c.reshape(-1) if c.size in (1, channels) else None
        view = (1,) * axis + c.shape
    else:
        if rank is None or c.ndim > rank:
            return None
        view = (1,) * (rank - c.ndim) + c.shape
    if rank is not None and len(view) > rank:
        return None
    for k, d in enumerate(view):
        if k == ch_axis:
            if d not in (1, channels):
                return None
        elif d != 1:
            return None
    if ch_axis is None or ch_axis >= len(view):
        return np.full(channels, float(c.reshape(-1)[0]), np.float32) if c.size == 1 else None
    return np.broadcast_to(c.reshape(-1) if c.size == channels else c.reshape(-1)[:1], (channels,)).astype(np.float32)


class _Folder:
    def __init__(self, net, weights: dict, protected: set):
        from ..proto import caffe2_pb2

        self.net = caffe2_pb2.NetDef()
        self.net.CopyFrom(net)
        self.weights = dict(weights)
        self.protected = set(protected) | set(net.external_output)
        written = {o for op in net.op for o in op.output}
        self.consts = {n for n in self.weights if n not in written}
        self.nested = any(a.HasField("n") or len(a.nets) for op in net.op for a in op.arg)
        self.log: list[str] = []
        self._count = 0

    def const(self, name):
        if name in self.consts:
            v = self.weights[name]
            if isinstance(v, np.ndarray) and v.dtype == np.float32:
                return v
        return None

    def new_name(self, base):
        self._count += 1
        name = f"{base}__folded{self._count}"
        while name in self.weights:
            self._count += 1
            name = f"{base}__folded{self._count}"
        return name

    def set_weight(self, base, arr):
        name = self.new_name(base)
        self.weights[name] = np.ascontiguousarray(arr, dtype=np.float32)
        self.consts.add(name)
        return name

    def run(self):
        if self.nested:
            return self.net, self.weights, self.log
        while self._once():
            pass
        return self.net, self.weights, self.log

    def _once(self) -> bool:
        ops = self.net.op
        for i, p in enumerate(ops):
            if not p.output or p.output[0] in self.protected:
                continue
            if p.type in _CONV:
                channels = self._conv_channels(p)
            elif p.type == "SpatialBN":
                channels = self._bn_channels(p)
            else:
                continue
            if channels is None:
                continue
            y = p.output[0]
            rd = _readers(ops, i, y)
            if len(rd) != 1:
                continue
            j = rd[0]
            c = ops[j]
            if len(c.output) != 1 or list(c.input).count(y) != 1 or c.input[0] != y:
                continue
            z = c.output[0]
            if z != y and any(z in ops[k].input or z in ops[k].output for k in range(i + 1, j)):
                continue
            if self._fold(p, c, channels):
                p.output[0] = z
                self.log.append(f"folded op #{j} {c.type} into {p.type} '{y}'")
                del ops[j]
                return True
        return False

    def _conv_channels(self, p):
        if len(p.input) < 2 or len(p.output) != 1:
            return None
        w = self.const(p.input[1])
        if w is None or w.ndim < 3:
            return None
        if len(p.input) > 2 and self.const(p.input[2]) is None:
            return None
        return w.shape[0]

    def _bn_channels(self, p):
        if len(p.input) != 5 or len(p.output) != 1:
            return None
        vals = [self.const(n) for n in p.input[1:]]
        if any(v is None for v in vals) or len({v.size for v in vals}) != 1:
            return None
        return vals[0].size

    def _fold(self, p, c, channels) -> bool:
        nchw = _order(p) != "NHWC"
        rank = self.const(p.input[1]).ndim if p.type in _CONV else None
        if c.type == "SpatialBN":
            if p.type not in _CONV or len(c.input) != 5 or (_order(c) != "NHWC") != nchw:
                return False
            vals = [self.const(n) for n in c.input[1:]]
            if any(v is None or v.size != channels for v in vals):
                return False
            s, b, m, v = (x.reshape(-1).astype(np.float64) for x in vals)
            eps = Args(c.arg).float("epsilon", 1e-5)
            mul = s / np.sqrt(v + eps)
            add = b - m * mul
        elif c.type in ("Mul", "Add") and len(c.input) == 2:
            k = self.const(c.input[1])
            if k is None:
                return False
            vec = _channel_vector(c, k, rank, nchw, channels)
            if vec is None:
                return False
            vec = vec.astype(np.float64)
            if c.type == "Mul":
                mul, add = vec, np.zeros(channels)
            else:
                mul, add = np.ones(channels), vec
        else:
            return False
        if p.type in _CONV:
            w = self.const(p.input[1]).astype(np.float64)
            b = self.const(p.input[2]).astype(np.float64).reshape(-1) if len(p.input) > 2 else np.zeros(channels)
            w2 = w * mul.reshape((-1,) + (1,) * (w.ndim - 1))
            b2 = b * mul + add
            p.input[1] = self.set_weight(p.input[1], w2)
            if len(p.input) > 2:
                p.input[2] = self.set_weight(p.input[2], b2)
            else:
                p.input.append(self.set_weight(p.output[0] + "_b", b2))
        else:
            s = self.const(p.input[1]).astype(np.float64).reshape(-1)
            b = self.const(p.input[2]).astype(np.float64).reshape(-1)
            p.input[1] = self.set_weight(p.input[1], s * mul)
            p.input[2] = self.set_weight(p.input[2], b * mul + add)
        return True


def fold_net(net, weights: dict, protected=()):
    """(new NetDef, new weights dict, log lines); the inputs are not modified."""
    return _Folder(net, weights, set(protected)).run()
