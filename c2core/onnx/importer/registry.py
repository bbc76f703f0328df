"""The table of ONNX op converters (`CONVERTERS`, a `c2core.registry.Registry`),
filled by `@register` in the family modules of this package.

A converter is `fn(ctx, node, attrs) -> None`: it reads inputs through the
`ImportContext` and emits Caffe2 ops into it. An optional `check(ctx, node,
attrs) -> str | None` says, before anything is emitted, why one particular
node cannot be converted (an attribute combination Caffe2 has no op for), so
that every problem in a model is reported at once.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from ...registry import Registry


class Converter(NamedTuple):
    fn: Callable
    check: Callable | None
    # The Caffe2 op types `fn` may emit: the manifest's `importer` layer
    # (c2core/schema/support.json); checked on every conversion in strict mode.
    emits: tuple = ()


CONVERTERS = Registry("ONNX importer", "c2core.onnx.importer",
                      make=lambda t, fn, emits, check=None: Converter(fn, check, tuple(emits)))
# Emitted by the driver itself (an output that is an alias of another blob).
DRIVER_EMITS = ("Copy",)


def register(*op_types: str, emits, check: Callable | None = None):
    """Decorator: `fn` converts the ONNX op types given into the Caffe2 op types
    `emits` (optionally with a `check` that refuses a node before anything is emitted)."""
    return CONVERTERS.register(*op_types, emits=emits, check=check)


def refusal_of(spec: Callable) -> Callable:
    """A `check` from `spec(ctx, node, attrs)`, which returns the node's parsed
    form or a str saying why it cannot be converted: the converter calls the
    same `spec` again to get the parsed form."""

    def check(ctx, node, attrs):
        r = spec(ctx, node, attrs)
        return r if isinstance(r, str) else None

    return check


def converter_for(op_type: str) -> Converter | None:
    return CONVERTERS.get(op_type)


def supported_onnx_ops() -> list[str]:
    return sorted(CONVERTERS.types())
