"""ONNX tensors from untrusted files, turned into arrays only after checks.

An ONNX TensorProto declares its dims separately from its data: a few bytes
can declare [2^40] elements, or dims with no data at all. `to_array` checks
the declared size against the memory budget and against the data the tensor
really holds (raw bytes or typed fields) before numpy allocates anything.
`check_fold` does the same for a node about to be constant-folded on import
(ConstantOfShape, Expand, Tile, Range and any node whose output shape
inference already knows), so folding cannot allocate what no file held.
"""

from __future__ import annotations

import numpy as np

from .. import budget
from ..errors import C2FormatError

# TensorProto.DataType -> (typed field holding the values, values per element)
_FIELD = {1: "float_data", 2: "int32_data", 3: "int32_data", 4: "int32_data", 5: "int32_data", 6: "int32_data",
          7: "int64_data", 8: "string_data", 9: "int32_data", 10: "int32_data", 11: "double_data",
          12: "uint64_data", 13: "uint64_data", 14: "float_data", 15: "double_data", 16: "int32_data"}
_PER_ELEMENT = {14: 2, 15: 2}  # complex: two numbers each


def _itemsize(data_type: int) -> int:
    from onnx import helper

    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(data_type)).itemsize
    except (KeyError, TypeError, ValueError):
        return 8


def to_array(t, path=None, what: str | None = None) -> np.ndarray:
    """`onnx.numpy_helper.to_array(t)` once the tensor's size is checked."""
    from onnx import numpy_helper

    what = what or f"tensor '{t.name}'"
    check_tensor(t, path, what)
    try:
        return numpy_helper.to_array(t)
    except (ValueError, TypeError, KeyError) as e:
        raise C2FormatError(f"{what}: cannot read ({e})", path) from None


def check_tensor(t, path=None, what: str | None = None) -> None:
    """C2FormatError/BudgetError unless `t`'s declared size fits the budget and its data."""
    what = what or f"tensor '{t.name}'"
    dims = [int(d) for d in t.dims]
    if any(d < 0 for d in dims):
        raise C2FormatError(f"{what}: negative dimension in {dims}", path)
    n = budget.numel(dims)
    size = _itemsize(t.data_type)
    budget.check_bytes(n * size, what, path, f"shape {dims}")
    if t.data_location == 1:  # EXTERNAL and not loaded: onnx reads the file itself
        raise C2FormatError(f"{what}: its data is in an external file that was not loaded", path)
    if t.HasField("raw_data"):
        have = len(t.raw_data)
        if t.data_type != 8 and have != n * size:
            raise C2FormatError(f"{what}: shape {dims} needs {n * size:,} bytes but raw_data holds {have:,}", path)
    else:
        field = _FIELD.get(t.data_type)
        have = len(getattr(t, field)) if field else 0
        need = n * _PER_ELEMENT.get(t.data_type, 1)
        if have != need:
            if n and have == 0:
                raise C2FormatError(f"{what}: shape {dims} but the tensor holds no data", path)
            raise C2FormatError(f"{what}: shape {dims} needs {need:,} values but {have:,} are stored", path)


def _prod(shape) -> int:
    return budget.numel(shape)


def check_fold(node, consts: dict, shapes: dict, dtypes: dict) -> None:
    """BudgetError when folding `node` would allocate more than the budget."""
    label = f"node '{node.name or node.output[0] if node.output else node.op_type}' ({node.op_type})"
    for a in node.attribute:
        if a.HasField("t"):
            check_tensor(a.t, None, f"{label}: attribute '{a.name}'")
    ins = [consts.get(n) if n else None for n in node.input]
    n = None
    size = np.asarray(ins[0]).dtype.itemsize if ins and ins[0] is not None else 8
    try:
        if node.op_type == "ConstantOfShape" and ins and ins[0] is not None:
            n = _prod(np.asarray(ins[0]).reshape(-1).tolist())
            size = next((_itemsize(a.t.data_type) for a in node.attribute if a.HasField("t")), 4)
        elif node.op_type == "Expand" and len(ins) > 1 and ins[0] is not None and ins[1] is not None:
            a, b = list(np.shape(ins[0])), [int(x) for x in np.asarray(ins[1]).reshape(-1).tolist()]
            r = max(len(a), len(b))
            a, b = [1] * (r - len(a)) + a, [1] * (r - len(b)) + b
            n = _prod(max(x, y) for x, y in zip(a, b))
        elif node.op_type == "Tile" and len(ins) > 1 and ins[0] is not None and ins[1] is not None:
            reps = [int(x) for x in np.asarray(ins[1]).reshape(-1).tolist()]
            n = _prod(np.shape(ins[0])) * _prod(reps)
        elif node.op_type == "Range" and len(ins) == 3 and all(v is not None for v in ins):
            start, limit, delta = (float(np.asarray(v).reshape(-1)[0]) for v in ins)
            n = 0 if delta == 0 else max(int(np.ceil((limit - start) / delta)), 0)
    except (ValueError, TypeError, OverflowError):
        n = None
    if n is not None:
        budget.check_bytes(n * size, f"{label}: folded constant", None)
    for out in node.output:
        s = shapes.get(out)
        if s and all(isinstance(d, int) and d >= 0 for d in s):
            dt = dtypes.get(out)
            budget.check_bytes(_prod(s) * (dt.itemsize if dt is not None else 8), f"{label}: output '{out}'", None,
                               f"shape {list(s)}")


def check_names(model, path=None) -> None:
    """Every name an ONNX graph uses is UTF-8 text (protobuf hands back bytes
    for a string field holding invalid UTF-8; they would fail deep inside)."""
    g = model.graph
    items = [("graph input", v.name) for v in g.input] + [("graph output", v.name) for v in g.output]
    items += [("initializer", t.name) for t in g.initializer]
    for k, node in enumerate(g.node):
        items += [(f"node #{k} op type", node.op_type), (f"node #{k} name", node.name)]
        items += [(f"node #{k} input", n) for n in node.input] + [(f"node #{k} output", n) for n in node.output]
        items += [(f"node #{k} attribute", a.name) for a in node.attribute]
    for what, name in items:
        if not isinstance(name, str):
            raise C2FormatError(f"{what} name {bytes(name)[:60]!r} is not valid UTF-8", path)
