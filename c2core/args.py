"""Caffe2 `Argument` messages, parsed once into plain Python values.

An `Argument` stores its value in exactly one of several fields (f, i, s, n, t,
floats, ints, strings, nets, tensors, qtensors). One table maps each field to a
converter, so every part of the project (shape rules, ops, exporter, inspector)
sees the same values: float, int, str (bytes decoded as UTF-8, kept as bytes
when they are not text), lists of those, or nested `NetDef` messages.

An `Args` made for an op (`op_args(op)`, or `Args(op.arg, op.type)`) takes the
value of an argument the op does not set from the op schema
(`c2core/schema/ops.json`), as onnx/reference's `OpRun` takes attribute
defaults from `onnx.defs`: `args.float("alpha")` on a HardSigmoid is 0.2
without the kernel, the exporter or the shape rule writing 0.2 again
(tests/c2core/test_arg_defaults.py checks that none does). An explicit
`default` is for arguments whose schema has none (or for an `Args` with no op
type): the schema wins where it has a default. When neither exists, the
lookups fall back to 0, 0.0, "" or None.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Iterable, Mapping


def _decode(b: bytes):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return bytes(b)


# (field, is_singular, converter) in the order Caffe2 itself checks them.
_FIELDS = (
    ("f", True, float),
    ("i", True, int),
    ("s", True, _decode),
    ("n", True, lambda n: n),
    ("t", True, lambda t: t),
    ("floats", False, lambda xs: [float(x) for x in xs]),
    ("ints", False, lambda xs: [int(x) for x in xs]),
    ("strings", False, lambda xs: [_decode(x) for x in xs]),
    ("nets", False, lambda xs: list(xs)),
    ("tensors", False, lambda xs: list(xs)),
    ("qtensors", False, lambda xs: list(xs)),
)


def argument_value(arg) -> Any:
    """The value of one `caffe2.Argument`; an argument with no field set is []."""
    for field, singular, conv in _FIELDS:
        if singular:
            if arg.HasField(field):
                return conv(getattr(arg, field))
        else:
            vals = getattr(arg, field)
            if len(vals):
                return conv(vals)
    return []




def _strict() -> bool:
    from .errors import strict_checks

    return strict_checks()


# The default of a lookup that gave none: take it from the op schema.
SCHEMA = type("SchemaDefault", (), {"__repr__": lambda self: "<schema default>"})()


class Args(Mapping):
    """Read-only view of an op's arguments with the lookups ops need.

    Spelling helpers (`spatial`, `pads`) gather Caffe2's several spellings of
    the same argument (`kernel`, `kernels`, `kernel_h`/`kernel_w`) in one place.
    `op_type`: whose schema supplies the defaults of unset arguments.
    """

    __slots__ = ("_d", "op_type")

    def __init__(self, args: Iterable | Mapping[str, Any] = (), op_type: str | None = None):
        if isinstance(args, Mapping):
            d = dict(args)
        else:
            d = {}
            for a in args:
                d[a.name] = argument_value(a)
        self._d = MappingProxyType(d)
        self.op_type = op_type

    def default(self, name: str, given=SCHEMA, fallback=None):
        """The value of unset argument `name`: the schema's default for this op
        type when it has one, else `given` (when not `SCHEMA`), else `fallback`."""
        if self.op_type is not None:
            from .schema import arg_default

            d = arg_default(self.op_type, name, SCHEMA)
            if d is not SCHEMA:
                if given is not SCHEMA and _strict():
                    raise AssertionError(f"{self.op_type}.{name}: default {given!r} written in code beside the schema's {d!r} "
                                         "(c2core/schema/build_ops.py); drop the literal")
                return d
        return fallback if given is SCHEMA else given

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __repr__(self):
        return f"Args({dict(self._d)!r}, {self.op_type!r})"

    def _scalar(self, name: str, default, conv, zero):
        v = self._d.get(name, [])
        if isinstance(v, list):  # unset, or a repeated field: its first value
            return conv(v[0]) if v else conv(self.default(name, default, zero))
        return conv(v)

    def _list(self, name: str, default, conv):
        v = self._d.get(name)
        if v is None:
            d = self.default(name, default, None)
            return list(d) if isinstance(d, (list, tuple)) else d
        return [conv(x) for x in v] if isinstance(v, list) else [conv(v)]

    def int(self, name: str, default=SCHEMA) -> int:
        return self._scalar(name, default, int, 0)

    def float(self, name: str, default=SCHEMA) -> float:
        return self._scalar(name, default, float, 0.0)

    def str(self, name: str, default=SCHEMA) -> str:
        v = self._d[name] if name in self._d else self.default(name, default, "")
        return v if isinstance(v, str) else (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))

    def ints(self, name: str, default=SCHEMA) -> list[int] | None:
        return self._list(name, default, int)

    def floats(self, name: str, default=SCHEMA) -> list[float] | None:
        return self._list(name, default, float)

    def spatial(self, base: str, plural: str | None, nd: int, default=SCHEMA) -> list[int]:
        """One spatial argument in any Caffe2 spelling, as `nd` ints.

        Accepts `base` (one int for every axis), `plural` (a list), or the 2-D
        pair `base_h`/`base_w`. Used for kernel, stride, dilation; an axis
        given nowhere takes `default` (by default the schema's for `base`).
        """
        default = int(self.default(base, default, 0))
        if plural and plural in self._d:
            v = self.ints(plural)
            return v if len(v) == nd else (v * nd if len(v) == 1 else v)
        if base in self._d:
            v = self._d[base]
            if isinstance(v, list):
                return [int(x) for x in v] if len(v) == nd else [int(v[0])] * nd
            return [int(v)] * nd
        if nd == 2 and (f"{base}_h" in self._d or f"{base}_w" in self._d):
            return [self.int(f"{base}_h", default), self.int(f"{base}_w", default)]
        return [default] * nd

    def pads(self, nd: int) -> list[int]:
        """Padding as [begin_0..begin_n, end_0..end_n] (Caffe2 `pads` order).

        Spellings: `pads` (t, l, b, r for 2-D), `pad` (all sides), or
        `pad_t`/`pad_l`/`pad_b`/`pad_r`.
        """
        if "pads" in self._d:
            v = self.ints("pads")
            if len(v) == 2 * nd:
                return v
            if len(v) == nd:
                return v + v
            if len(v) == 1:
                return v * (2 * nd)
            return v
        if "pad" in self._d:
            return [self.int("pad")] * (2 * nd)
        if nd == 2 and any(f"pad_{s}" in self._d for s in "tlbr"):
            return [self.int("pad_t"), self.int("pad_l"), self.int("pad_b"), self.int("pad_r")]
        return [0] * (2 * nd)


def op_args(op) -> Args:
    """Parse an `OperatorDef`'s arguments, defaults from its type's schema
    (cached on nothing: callers keep it)."""
    return Args(op.arg, op.type)
