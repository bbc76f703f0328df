"""Caffe2 op type -> ONNX exporter function, refusing duplicates.

An exporter is `fn(ctx, op, args)`: it reads inputs with `ctx.input(blob)`,
emits ONNX nodes with `ctx.node(...)`, and binds every Caffe2 output it
produces with `ctx.bind(blob, ctx.output(blob))`. It raises `C2Error` for a
configuration it cannot express exactly; nothing is ever approximated.
Families live in one module each (conv, pool, norm, ...); importing
`c2core.onnx.export.ops` registers them all.
"""

from __future__ import annotations

from typing import Callable

_EXPORTERS: dict[str, Callable] = {}


def exporter(*op_types: str):
    def deco(fn):
        for t in op_types:
            if t in _EXPORTERS:
                raise RuntimeError(f"ONNX exporter for {t} registered twice ({_EXPORTERS[t].__module__}, {fn.__module__})")
            _EXPORTERS[t] = fn
        return fn

    return deco


def lookup(op_type: str) -> Callable | None:
    _load()
    return _EXPORTERS.get(op_type)


def exportable_op_types() -> frozenset:
    _load()
    return frozenset(_EXPORTERS)


def _load():
    from . import ops  # noqa: F401  (registers every family)
