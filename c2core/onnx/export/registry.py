"""Caffe2 op type -> ONNX exporter function, refusing duplicates.

An exporter is `fn(ctx, op, args)`: it reads inputs with `ctx.input(blob)`,
emits ONNX nodes with `ctx.node(...)`, and binds every Caffe2 output it
produces with `ctx.bind(blob, ctx.output(blob))`. It raises `C2Error` for a
configuration it cannot express exactly; nothing is ever approximated.
Families live in one module each (conv, pool, norm, ...); `EXPORTERS` (a
`c2core.registry.Registry`) imports every public module of this package on
first use, so a new family module needs no list.
"""

from __future__ import annotations

from ...registry import Registry

EXPORTERS = Registry("ONNX exporter", "c2core.onnx.export")
register = EXPORTERS.register


def lookup(op_type: str):
    return EXPORTERS.get(op_type)


def exportable_op_types() -> frozenset:
    return EXPORTERS.types()
