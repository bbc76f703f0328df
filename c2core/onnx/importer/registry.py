"""The table of ONNX op converters, filled by `@converts` in the convert_* modules.

A converter is `fn(ctx, node, attrs) -> None`: it reads inputs through the
`ImportContext` and emits Caffe2 ops into it. An optional `check(ctx, node,
attrs) -> str | None` says, before anything is emitted, why one particular
node cannot be converted (an attribute combination Caffe2 has no op for), so
that every problem in a model is reported at once.
"""

from __future__ import annotations

from typing import Callable, NamedTuple


class Converter(NamedTuple):
    fn: Callable
    check: Callable | None


CONVERTERS: dict[str, Converter] = {}


def converts(*op_types: str, check: Callable | None = None):
    def deco(fn):
        for t in op_types:
            if t in CONVERTERS:
                raise ValueError(f"ONNX converter for {t} registered twice")
            CONVERTERS[t] = Converter(fn, check)
        return fn

    return deco


def refusal_of(spec: Callable) -> Callable:
    """A `check` from `spec(ctx, node, attrs)`, which returns the node's parsed
    form or a str saying why it cannot be converted: the converter calls the
    same `spec` again to get the parsed form."""

    def check(ctx, node, attrs):
        r = spec(ctx, node, attrs)
        return r if isinstance(r, str) else None

    return check


def converter_for(op_type: str) -> Converter | None:
    _load()
    return CONVERTERS.get(op_type)


def supported_onnx_ops() -> list[str]:
    _load()
    return sorted(CONVERTERS)


def _load() -> None:
    from . import convert_elementwise, convert_nn, convert_tensor  # noqa: F401  (fill the table)
