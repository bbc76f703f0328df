"""The operator registry: Caffe2 op type -> kernel, refusing duplicates.

A kernel is a plain function `kernel(ctx, *inputs) -> Tensor | tuple`, with
inputs and outputs as torch tensors, decorated with `@register("Type", ...)`.
`ctx` (an `OpContext`) gives the parsed arguments, the OperatorDef, the op's
index and a way to run sub-nets (control flow). A second registration of the
same type raises at import time, so two modules can never silently disagree
about an op's semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

_KERNELS: dict[str, "OpSpec"] = {}


@dataclass(frozen=True)
class OpSpec:
    op_type: str
    kernel: Callable
    module: str
    # Optional: called once at prepare time with ctx; may return a state object
    # stored on ctx.state (e.g. pre-transposed weights, parsed geometry).
    prepare: Callable | None = None
    # Inputs that may be absent (Caffe2 optional inputs); informative.
    inplace_ok: bool = True


@dataclass
class OpContext:
    """What a kernel sees besides its input tensors."""

    op: Any  # caffe2_pb2.OperatorDef
    args: Any  # c2core.args.Args
    index: int
    run_subnet: Callable | None = None  # (NetDef, dict[str, Tensor]) -> dict[str, Tensor]
    state: Any = None
    extra: dict = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.op.type


def register(*op_types: str, prepare: Callable | None = None):
    """Decorator: register `fn` as the kernel of each op type given."""

    def deco(fn):
        for t in op_types:
            if t in _KERNELS:
                prev = _KERNELS[t]
                raise RuntimeError(f"op {t} registered twice: {prev.module}.{prev.kernel.__name__} and {fn.__module__}.{fn.__name__}")
            _KERNELS[t] = OpSpec(t, fn, fn.__module__, prepare)
        return fn

    return deco


def lookup(op_type: str) -> OpSpec | None:
    _load_all()
    return _KERNELS.get(op_type)


def supported_op_types() -> frozenset:
    _load_all()
    return frozenset(_KERNELS)


_LOADED = False


def _load_all() -> None:
    """Import every module in c2core/ops once (each registers its kernels)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib
    import pkgutil

    from . import __path__ as ops_path

    for m in sorted(pkgutil.iter_modules(ops_path), key=lambda m: m.name):
        if m.name not in ("registry",) and not m.name.startswith("_"):
            importlib.import_module(f"c2core.ops.{m.name}")
