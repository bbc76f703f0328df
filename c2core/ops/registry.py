"""The operator registry: Caffe2 op type -> kernel, refusing duplicates.

A kernel is a plain function `kernel(ctx, *inputs) -> Tensor | tuple`, with
inputs and outputs as torch tensors, decorated with `@register("Type", ...)`.
`ctx` (an `OpContext`) gives the parsed arguments, the OperatorDef, the op's
index, the state its `prepare` hook computed, and a way to run sub-nets
(control flow). `KERNELS` is a `c2core.registry.Registry`: a second
registration of the same type raises at import time, and every public module
of this package is imported on first lookup (no list to edit).

Kernels must not parse arguments on every call: anything derived from
`ctx.args` belongs in `prepare(ctx) -> state`, run once when the net is
prepared; the kernel then reads `ctx.state`. `prepare` also sees which
inputs are constant weights (`ctx.consts`), so it can pre-transform them.

Flags that the runtime uses for buffer reuse:
- `view=True`: the kernel may return a tensor sharing memory with an input
  (Reshape, Alias, Dropout at test time...), so that input must not be
  modified in place afterwards while the view is alive.
- `inplace=fn`: a variant `fn(ctx, *inputs)` that writes its result into
  `inputs[0]` and returns it; used when the op's output blob is its first
  input blob and the runtime proves nobody else sees that buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..registry import Registry



@dataclass(frozen=True)
class OpSpec:
    op_type: str
    kernel: Callable
    module: str
    # Called once at prepare time with ctx; its result is stored on ctx.state.
    prepare: Callable | None = None
    # The output may alias an input (see module docstring).
    view: bool = False
    # Optional in-place variant writing into inputs[0].
    inplace: Callable | None = None


@dataclass
class OpContext:
    """What a kernel sees besides its input tensors."""

    op: Any  # caffe2_pb2.OperatorDef
    args: Any  # c2core.args.Args
    index: int
    run_subnet: Callable | None = None  # (NetDef, dict[str, Tensor]) -> dict[str, Tensor]
    # name -> the blob's current value in the running workspace (None if unset)
    read_blob: Callable | None = None
    state: Any = None
    extra: dict = field(default_factory=dict)
    # Per input: the constant tensor when the input is a weight no op
    # overwrites, else None. Known at prepare time.
    consts: tuple = ()
    device: Any = "cpu"

    @property
    def type(self) -> str:
        return self.op.type

    @property
    def where(self) -> str:
        """`op #3 Conv 'name'` for error messages."""
        name = f" '{self.op.name}'" if self.op.name else ""
        return f"op #{self.index} {self.op.type}{name}"


def _spec(op_type: str, fn: Callable, prepare: Callable | None = None, view: bool = False, inplace: Callable | None = None) -> OpSpec:
    return OpSpec(op_type, fn, fn.__module__, prepare, view, inplace)


KERNELS = Registry("kernel", "c2core.ops", make=_spec)


def register(*op_types: str, prepare: Callable | None = None, view: bool = False, inplace: Callable | None = None):
    """Decorator: register `fn` as the kernel of each op type given."""
    return KERNELS.register(*op_types, prepare=prepare, view=view, inplace=inplace)


def lookup(op_type: str) -> OpSpec | None:
    return KERNELS.get(op_type)


def supported_op_types() -> frozenset:
    """The op types with a kernel; imports every kernel module (and torch). Without
    torch, `c2core.schema.support.layer_types("executor")` answers from the manifest."""
    return KERNELS.types()
