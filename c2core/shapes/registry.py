"""Shape rules by op type, and the context a rule reads its op through.

`RULES` is a `c2core.registry.Registry` filled by every public module of
this package on first use. A rule is `rule(ctx) -> list[BlobInfo]` (one per output; missing trailing
entries mean unknown). It reads inputs with `ctx.shape(i)` (raising `Unknown`
when nothing is known, which marks every output unknown) and arguments with
`ctx.i/f/s/ints`, whose fallbacks are the defaults in the op schema, so the
numbers here are the numbers the inspector shows.
"""

from __future__ import annotations

from typing import Callable

from ..args import Args
from ..registry import Registry
from ..schema import arg_default
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
            self._args = Args(self.op.arg)
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

    # ----- arguments (fallback: schema default, then `fallback`)
    def has(self, name: str) -> bool:
        return name in self.args

    def _default(self, name, fallback):
        return arg_default(self.type, name, fallback)

    def i(self, name: str, fallback: int = 0) -> int:
        if name in self.args:
            return self.args.int(name)
        return int(self._default(name, fallback))

    def f(self, name: str, fallback: float = 0.0) -> float:
        if name in self.args:
            return self.args.float(name)
        return float(self._default(name, fallback))

    def s(self, name: str, fallback: str = "") -> str:
        if name in self.args:
            return self.args.str(name)
        return str(self._default(name, fallback))

    def ints(self, name: str, fallback=None):
        if name in self.args:
            return self.args.ints(name)
        d = self._default(name, fallback)
        return list(d) if isinstance(d, (list, tuple)) else d

    def order(self) -> str:
        return self.s("order", "NCHW").upper()

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
