"""Run an init net as Caffe2 does: it is an ordinary net, not a list of fills.

Most init nets only hold fill ops (`GivenTensorFill` ...), which `fills.run_fill`
turns into arrays without torch. Real ones also compute constants
(`UniformIntFill -> Cast -> OneHot -> Reshape`), and predictor_exporter's global
init net `Load`s its parameters from the minidb. This module walks the net in
order: fills through `run_fill` (random fills seeded by op index, so two opens
give the same values), `Load` through the caller's loader, and any other op
through the executor's kernel for it, one op at a time (init nets are short;
torch is imported only when such an op exists).

`is_init_net` decides what an init net is by content: every blob its ops read
is created by an earlier op of the same net (or is a declared db reader), so it
needs nothing fed from outside; a predict net reads data it does not create.
"""

from __future__ import annotations

from .errors import C2Error, C2FormatError
from .fills import FILL_OPS, Weight, run_fill

# Blobs a net may read without creating them: predictor_exporter's db handle.
DB_READER_BLOBS = frozenset({"!!PREDICTOR_DBREADER"})


def _is_source(op) -> bool:
    """An op that creates its output from nothing (a fill without inputs)."""
    return op.type in FILL_OPS and not (op.type == "ConstantFill" and len(op.input)) or (
        op.type.endswith("Fill") and not op.input)


def is_init_net(net) -> bool:
    """True when `net` needs nothing from outside: each op reads only blobs made
    by earlier ops (or the predictor's db reader), and some op creates a blob."""
    if not len(net.op):
        return False
    made: set = set(DB_READER_BLOBS)
    creates = False
    for op in net.op:
        if any(b not in made for b in op.input):
            return False
        creates = creates or _is_source(op) or op.type == "Load"
        made.update(op.output)
    return creates


def computes(net) -> bool:
    """True when the init net holds ops other than fills (they need the executor)."""
    return any(not _is_source(op) and op.type != "Load" for op in net.op)


def first_foreign_read(net) -> tuple[int, str, str] | None:
    """(op index, op type, blob) of the first read of a blob the net does not create."""
    made: set = set(DB_READER_BLOBS)
    for i, op in enumerate(net.op):
        for b in op.input:
            if b not in made:
                return i, op.type, b
        made.update(op.output)
    return None


def run_init_net(net, path: str | None, blobs: dict | None = None, load=None) -> dict[str, Weight]:
    """Run `net`; returns name -> Weight for every blob it leaves (plus `blobs`).

    blobs: Weights already in the workspace (a previous init net's).
    load: `load(op, index) -> list[Weight]` for `Load` ops (predictor_exporter).
    """
    out: dict[str, Weight] = dict(blobs or {})
    for i, op in enumerate(net.op):
        if _is_source(op) and op.type in FILL_OPS:
            for w in run_fill(op, i, path):
                out[w.name] = w
        elif op.type == "Load":
            if load is None:
                raise C2FormatError(f"op #{i} Load: reads from a database, which only a predictor_exporter minidb provides", path)
            for w in load(op, i):
                out[w.name] = w
        else:
            for w in _run_op(op, i, out, path):
                out[w.name] = w
    return out


def _run_op(op, index: int, blobs: dict, path) -> list[Weight]:
    """One non-fill op on the executor's kernel (torch imported here only)."""
    import numpy as np

    from .ops.registry import lookup
    from .runtime.plan import Plan
    from .proto import caffe2_pb2

    if lookup(op.type) is None:
        raise C2FormatError(f"op #{index} {op.type}: the init net computes with an op this tool cannot run", path)
    net = caffe2_pb2.NetDef()
    net.op.add().CopyFrom(op)
    consts = {}
    for name in op.input:
        w = blobs.get(name)
        if w is None:
            raise C2FormatError(f"op #{index} {op.type} reads blob '{name}' that no earlier op creates", path)
        consts[name] = _value(w)
    try:
        plan = Plan(net, consts, [], keep=None)
        slots = plan.execute({})
    except C2Error as e:
        raise C2FormatError(f"init net: {e.reason}", path) from None
    from .runtime.predictor import to_numpy

    res = []
    for name in op.output:
        v = slots[plan.slots[name]]
        if v is None:
            continue
        if hasattr(v, "scale") and hasattr(v, "values"):  # an Int8 blob
            res.append(Weight(name, to_numpy(v.values), op.type, scale=float(v.scale), zero_point=int(v.zero_point)))
        else:
            res.append(Weight(name, np.asarray(to_numpy(v)), op.type,
                              random=any(blobs[n].random for n in op.input if n in blobs)))
    return res


def _value(w: Weight):
    from .ops._arrays import tensor_from_numpy
    from .ops.int8 import weight_to_value

    q = weight_to_value(w)
    if q is not None:
        return q
    a = w.array
    if a.dtype == object:
        return a
    if not a.flags.writeable:
        a = a.copy()
    return tensor_from_numpy(a)
