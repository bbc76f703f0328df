"""The graph under construction while a Caffe2 net is exported to ONNX.

Caffe2 blob names are versioned (in-place ops write the name they read), ONNX
values are single-assignment. `ExportContext` keeps the map from each Caffe2
blob to the ONNX value that currently holds it and hands out SSA names: the
last write of a blob gets the blob's own name (so external outputs keep theirs),
earlier writes get `name__vN`. Every emitted node's output types are inferred
right away (ONNX per-node inference), so op exporters can ask for ranks and
static shapes without a separate shape pass; constants are remembered as numpy
arrays so exporters can fold them (reshape a weight instead of emitting a node).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

from ...errors import C2Error


@dataclass
class Quant:
    """Quantisation of an int8 tensor as Caffe2 carries it: real = scale * (q - zero_point)."""

    scale: float
    zero_point: int


@dataclass
class ExportContext:
    opset: int
    weights: dict  # caffe2 name -> numpy array (initializers)
    last_write: dict  # caffe2 name -> index of the op that writes it last
    reserved: set  # names that must not be reused for temporaries
    readers: dict = field(default_factory=dict)  # caffe2 blob -> indices of ops reading it
    outputs: frozenset = frozenset()  # the net's external outputs
    int8: str = "qdq"
    dynamic_batch: bool = False
    batch: int | None = None  # the example batch size of the data inputs
    nodes: list = field(default_factory=list)
    initializers: dict = field(default_factory=dict)  # onnx name -> np.ndarray
    types: dict = field(default_factory=dict)  # onnx name -> TypeProto
    current: dict = field(default_factory=dict)  # caffe2 blob -> onnx value name
    quant: dict = field(default_factory=dict)  # onnx value name -> Quant
    dequantized: dict = field(default_factory=dict)  # onnx value name -> Quant of the Int8 blob it dequantizes
    used: set = field(default_factory=set)
    op_index: int = -1
    op: object = None  # the caffe2 OperatorDef being exported
    _versions: dict = field(default_factory=dict)
    _uid: int = 0

    # ----- names -------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        """A new, unused value name for a temporary derived from `hint`."""
        base = hint.replace(":", "_") or "t"
        while True:
            self._uid += 1
            name = f"{base}__{self._uid}"
            if name not in self.used and name not in self.reserved:
                self.used.add(name)
                return name

    def input(self, blob: str) -> str:
        """The ONNX value currently holding Caffe2 blob `blob`."""
        name = self.current.get(blob)
        if name is None:
            if blob in self.weights:
                return self._weight(blob)
            raise C2Error(f"blob '{blob}' is read before any op or input provides it")
        return name

    def _weight(self, blob: str) -> str:
        self.initializers[blob] = self.weights[blob]
        self.used.add(blob)
        self.current[blob] = blob
        self.types[blob] = _tensor_type(self.weights[blob].dtype, self.weights[blob].shape)
        return blob

    def output(self, blob: str) -> str:
        """A fresh SSA name for a write of Caffe2 blob `blob` by the current op."""
        v = self._versions.get(blob, 0) + 1
        self._versions[blob] = v
        if self.last_write.get(blob) == self.op_index and blob not in self.used:
            name = blob
        else:
            name = f"{blob}__v{v}"
            while name in self.used or name in self.reserved:
                v += 1
                name = f"{blob}__v{v}"
        self.used.add(name)
        return name

    def bind(self, blob: str, name: str) -> None:
        """Record that ONNX value `name` now holds Caffe2 blob `blob`."""
        self.current[blob] = name

    def write(self, blob: str, op_type: str, inputs, **attrs) -> str:
        """One ONNX node whose output becomes Caffe2 blob `blob`'s new value; returns its name.

        The common case of an exporter: `output(blob)`, `node1(...)` into it, `bind`.
        """
        out = self.output(blob)
        self.node1(op_type, inputs, out, **attrs)
        self.bind(blob, out)
        return out

    def used_later(self, blob: str) -> bool:
        """Whether a later op or the net's outputs read `blob` as written by the current op."""
        if blob in self.outputs and self.last_write.get(blob) == self.op_index:
            return True
        return any(i > self.op_index for i in self.readers.get(blob, ()))

    # ----- constants -----------------------------------------------------------
    def const(self, array, hint: str = "const", dtype=None) -> str:
        arr = np.asarray(array, dtype=dtype) if dtype is not None else np.asarray(array)
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(np.float32)
        name = self.fresh(hint)
        self.initializers[name] = arr
        self.types[name] = _tensor_type(arr.dtype, arr.shape)
        return name

    def ints(self, values, hint: str = "shape") -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def value(self, name: str):
        """The numpy value of `name` when it is a constant, else None."""
        return self.initializers.get(name)

    # ----- types -------------------------------------------------------------
    def shape(self, name: str) -> list | None:
        """Static shape: ints, a str for a symbolic dim, None for unknown; None if rank unknown."""
        if name in self.initializers:
            return list(self.initializers[name].shape)
        t = self.types.get(name)
        if t is None or not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
            return None
        dims = []
        for d in t.tensor_type.shape.dim:
            if d.HasField("dim_value"):
                dims.append(int(d.dim_value))
            elif d.HasField("dim_param"):
                dims.append(d.dim_param)
            else:
                dims.append(None)
        return dims

    def rank(self, name: str) -> int:
        s = self.shape(name)
        if s is None:
            raise C2Error(f"rank of '{name}' is unknown; give input shapes so it can be exported exactly")
        return len(s)

    def static_dims(self, name: str, axes) -> list[int]:
        s = self.shape(name)
        out = []
        for a in axes:
            d = s[a] if s is not None and -len(s) <= a < len(s) else None
            if not isinstance(d, int):
                raise C2Error(f"dimension {a} of '{name}' must be static for this op (shape {s})")
            out.append(d)
        return out

    def elem_type(self, name: str) -> int:
        if name in self.initializers:
            return helper.np_dtype_to_tensor_dtype(self.initializers[name].dtype)
        t = self.types.get(name)
        return t.tensor_type.elem_type if t is not None else TensorProto.FLOAT

    # ----- nodes -------------------------------------------------------------
    def node(self, op_type: str, inputs, outputs=None, domain: str = "", n_out: int = 1, **attrs) -> list[str]:
        """Append one ONNX node and infer its output types; returns output names."""
        if outputs is None:
            outputs = [self.fresh(f"{op_type}") for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        n = helper.make_node(op_type, list(inputs), list(outputs), **attrs)
        if domain:
            n.domain = domain
        self.nodes.append(n)
        for o in outputs:
            self.used.add(o)
        self._infer(n)
        return list(outputs)

    def node1(self, op_type: str, inputs, output=None, **attrs) -> str:
        return self.node(op_type, inputs, None if output is None else [output], **attrs)[0]

    def _infer(self, n) -> None:
        if n.domain or n.op_type in ("If", "Loop", "Scan"):
            return  # sub-graphs see outer values per-node inference cannot; callers set types
        try:
            schema = onnx.defs.get_schema(n.op_type, self.opset, "")
        except Exception:
            return
        in_types, in_data = {}, {}
        for i in n.input:
            if not i:
                continue
            if i in self.initializers:
                arr = self.initializers[i]
                in_types[i] = self.types.get(i) or _tensor_type(arr.dtype, arr.shape)
                if arr.dtype.kind in "iu" and arr.size <= 64:
                    in_data[i] = numpy_helper.from_array(arr, i)
            elif i in self.types:
                in_types[i] = self.types[i]
        try:
            out = shape_inference.infer_node_outputs(
                schema, n, in_types, in_data, opset_imports=[helper.make_opsetid("", self.opset)])
        except Exception as e:
            if all(i in in_types for i in n.input if i):
                # Every input type is known, so the node itself is inconsistent
                # (mismatched weight shapes, bad axes): say so at this op.
                shapes = ", ".join(f"{i} {self.shape(i)}" for i in n.input if i)
                raise C2Error(f"ONNX {n.op_type} rejects its inputs ({shapes}): {str(e).splitlines()[0]}") from None
            return
        for k, t in out.items():
            self.types[k] = t

    def set_type(self, name: str, elem_type: int, shape) -> None:
        self.types[name] = helper.make_tensor_type_proto(elem_type, shape)

    # ----- shape helpers (opset-aware) ------------------------------------------
    def shape_of(self, x: str, start: int = 0, end: int | None = None) -> str:
        """1-D int64 tensor holding x.shape[start:end], built at run time."""
        if self.opset >= 15:
            return self.node1("Shape", [x], start=start, end=end)
        full = self.node1("Shape", [x])
        if start == 0 and end is None:
            return full
        ends = [end if end is not None else np.iinfo(np.int64).max]
        return self.node1("Slice", [full, self.ints([start], "starts"), self.ints(ends, "ends")])

    def unsqueeze(self, x: str, axes) -> str:
        if self.value(x) is not None:
            return self.const(np.expand_dims(self.value(x), tuple(axes)), "unsq")
        return self.node1("Unsqueeze", [x, self.ints(axes, "axes")])


def _tensor_type(dtype, shape):
    return helper.make_tensor_type_proto(helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), list(shape))
