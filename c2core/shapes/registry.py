"""Shape rules by op type, and the context a rule reads its op through.

`RULES` is a `c2core.registry.Registry` filled by every public module of
this package on first use. A rule is `rule(ctx) -> list[BlobInfo]` (one per output; missing trailing
entries mean unknown). It reads inputs with `ctx.shape(i)` (raising `Unknown`
when nothing is known, which marks every output unknown) and arguments with
`ctx.i/f/s/ints`, whose fallbacks are the defaults in the op schema (as for
kernels and exporters, c2core.args), so the numbers here are the numbers the
inspector shows.
"""

from __future__ import annotations

from typing import Callable

from ..args import SCHEMA, Args
from ..registry import Registry
from .info import UNKNOWN, BlobInfo

RULES = Registry("shape rule", "c2core.shapes")


class Unknown(Exception):
    """An input the rule needs has no known shape."""


def register(*op_types: str):
    """Register one function as the shape rule of `op_types`; duplicates are refused."""
    return RULES.register(*op_types)


_MISSING = object()


class RuleContext:
    """One op seen by its rule: parsed args, input infos, sub-net inference."""

    __slots__ = ("op", "type", "inputs", "env", "_args", "_subnet", "_consts")

    def __init__(self, op, inputs: list[BlobInfo], env: dict, subnet: Callable | None = None, consts: dict | None = None):
        self.op = op
        self.type = op.type
        self.inputs = inputs
        self.env = env
        self._args = None
        self._subnet = subnet
        self._consts = consts or {}

    @property
    def args(self) -> Args:
        if self._args is None:
            self._args = Args(self.op.arg, self.type)
        return self._args

    @property
    def n_out(self) -> int:
        return len(self.op.output)

    @property
    def n_in(self) -> int:
        return len(self.inputs)

    # ----- inputs
    def info(self, i: int) -> BlobInfo:
        return self.inputs[i] if i < len(self.inputs) else UNKNOWN

    def shape(self, i: int) -> tuple[int, ...]:
        s = self.info(i).shape
        if s is None:
            raise Unknown(f"input {i} of {self.type}")
        return s

    def maybe_shape(self, i: int):
        return self.info(i).shape

    def values(self, i: int) -> list | None:
        """Values of input `i` when it is a small constant weight (shape inputs), else None."""
        if i >= len(self.op.input):
            return None
        return self._consts.get(self.op.input[i])

    def dtype(self, i: int = 0, default: str | None = "float32") -> str | None:
        d = self.info(i).dtype
        return d if d is not None else default

    # ----- arguments (unset: the schema default, else `fallback`; see c2core.args)
    def has(self, name: str) -> bool:
        return name in self.args

    def i(self, name: str, fallback=SCHEMA) -> int:
        return self.args.int(name, fallback)

    def f(self, name: str, fallback=SCHEMA) -> float:
        return self.args.float(name, fallback)

    def s(self, name: str, fallback=SCHEMA) -> str:
        return self.args.str(name, fallback)

    def ints(self, name: str, fallback=SCHEMA):
        return self.args.ints(name, fallback)

    def order(self) -> str:
        """The op's storage order; an op whose schema has no `order` is NCHW."""
        return self.s("order").upper() or "NCHW"

    # ----- sub-nets (control flow)
    def run_subnet(self, net, env: dict) -> dict:
        """Infer `net` starting from a copy of `env`; returns the resulting env."""
        if self._subnet is None:
            raise Unknown("sub-net inference unavailable")
        return self._subnet(net, env)


def same(ctx, i: int = 0, dtype: str | None = None) -> BlobInfo:
    """Output info equal to input `i` (optionally with another dtype)."""
    src = ctx.info(i)
    if src.shape is None and src.dtype is None and dtype is None:
        return UNKNOWN
    return BlobInfo(src.shape, dtype or src.dtype or "float32")
