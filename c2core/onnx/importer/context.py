"""`ImportContext`: what a converter may know and do while one ONNX graph is turned into Caffe2.

It knows the folded constants, the static shapes from ONNX shape inference and
the opset; it collects emitted Caffe2 ops, the weights they read (constants
become `GivenTensorFill`s in the init net only when an emitted op uses them)
and blob aliases (Identity, Dropout, no-op Casts emit nothing), and for every
emitted op the ONNX node it came from (naming.py names blobs after it).
"""

from __future__ import annotations

import numpy as np

from ...builder import NetBuilder
from ...errors import C2Error
from ...ops._arrays import contiguous  # keeps 0-d constants 0-d
from .naming import claim_name


class ImportContext:
    def __init__(self, consts: dict, shapes: dict, dtypes: dict, opset: int, name: str = "imported"):
        self.consts = consts  # ONNX name -> np.ndarray (initializers, Constants, folded values)
        self.shapes = shapes  # ONNX name -> tuple of int|None, or absent when unknown
        self.dtypes = dtypes  # ONNX name -> numpy dtype
        self.opset = opset
        self.builder = NetBuilder(name)
        self.weights: dict[str, np.ndarray] = {}
        self.aliases: dict[str, str] = {}
        self.folded_pads: dict[str, tuple[str, list[int]]] = {}  # Pad output -> (input, spatial pads)
        self._taken: set[str] = set(consts) | set(shapes)
        self.node = None  # the ONNX node being converted
        self.origins: list = []  # per emitted op, the ONNX node it came from (None: added by the importer)

    # ----- reading -------------------------------------------------------------
    def const(self, name: str):
        """The constant value of an ONNX tensor, or None when it is computed at run time."""
        if not name:
            return None
        return self.consts.get(self.aliases.get(name, name))

    def shape(self, name: str):
        name = self.aliases.get(name, name)
        if name in self.consts:
            return tuple(self.consts[name].shape)
        return self.shapes.get(name)

    def rank(self, name: str, node=None) -> int:
        s = self.shape(name)
        if s is None:
            raise C2Error(f"{_where(node)}needs the rank of '{name}', which shape inference could not find")
        return len(s)

    def static_shape(self, name: str, node=None) -> tuple[int, ...]:
        s = self.shape(name)
        if s is None or any(d is None for d in s):
            raise C2Error(f"{_where(node)}needs the static shape of '{name}' (got {s}); "
                          "give the model fixed input sizes")
        return tuple(int(d) for d in s)

    def dtype(self, name: str):
        name = self.aliases.get(name, name)
        if name in self.consts:
            return self.consts[name].dtype
        return self.dtypes.get(name)

    # ----- writing -------------------------------------------------------------
    def blob(self, name: str, like: str | None = None) -> str:
        """The Caffe2 blob for an ONNX input; a constant becomes a weight.

        `like` names the other operand of an elementwise op so that a constant
        takes its dtype (an int64 scalar multiplied into a float tensor).
        """
        name = self.aliases.get(name, name)
        if name in self.consts and name not in self.weights:
            a = self.consts[name]
            if like is not None:
                want = self.dtype(like)
                if want is not None and np.dtype(want) != a.dtype:
                    a = a.astype(want)
            elif a.dtype == np.float64:
                a = a.astype(np.float32)
            self.weights[name] = contiguous(a)
        return name

    def add_weight(self, base: str, array: np.ndarray) -> str:
        """A new weight derived at import time (a transposed Gemm matrix, a zero bias)."""
        name = self.fresh(base)
        self.weights[name] = contiguous(array)
        return name

    def fresh(self, base: str) -> str:
        return claim_name(self._taken, base, first=1)

    def emit(self, op_type: str, inputs, outputs, **args):
        outs = [outputs] if isinstance(outputs, str) else list(outputs)
        self._taken.update(outs)
        self.origins.append(self.node)
        return self.builder.op(op_type, inputs, outs, **args)

    def alias(self, out: str, src: str) -> None:
        self.aliases[out] = self.aliases.get(src, src)

    def resolve(self, name: str) -> str:
        return self.aliases.get(name, name)


def _where(node) -> str:
    if node is None:
        return ""
    return f"ONNX node {node.name or node.output[0]} ({node.op_type}): "


def node_attrs(node) -> dict:
    """ONNX attributes as plain Python values (bytes decoded, tensors as numpy)."""
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif hasattr(v, "data_type") and hasattr(v, "dims"):
            from ..tensors import to_array

            v = to_array(v, what=f"{_where(node)}attribute '{a.name}'")
        out[a.name] = v
    return out
