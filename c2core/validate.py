"""Structural checks of a net against the op schema, when a model opens.

Everything downstream (shape rules, the plan, the exporters, the drawing)
indexes `op.input[i]` and reads arguments as the types the schema declares.
A hostile or corrupt file can hold an op with no outputs, a Conv without a
filter, `kernel: 'three'`, `stride: NaN` or `global_pooling: b'\\xff'`; each
of those used to surface as an IndexError or ValueError deep inside. Here
they are refused once, at open, with a message naming the op index, its
type and the argument, so every later stage can trust the net's shape.

Checked, for every op (sub-nets included, with their nesting depth bounded):
- an op type and at least the inputs/outputs the schema requires;
- each argument the schema declares holds a value of the declared type
  (int: an integer, or an integral finite float; float: a number, not NaN;
  string: UTF-8 text; ints/floats/strings: lists of those; net: a NetDef);
- window arguments (kernel, stride, dilation) are positive, pads not negative;
- blob names are not absurdly long.
Op types the schema does not know are left to the warnings.
"""

from __future__ import annotations

import math

from .args import argument_value
from .errors import C2FormatError

MAX_NAME_CHARS = 4096
MAX_SUBNET_DEPTH = 32

# Control-flow ops may legitimately have no outputs (their bodies write the workspace).
_NO_OUTPUT_OK = {"If", "While", "Do", "AsyncIf"}
_POSITIVE = ("kernel", "kernels", "kernel_h", "kernel_w", "stride", "strides", "stride_h", "stride_w",
             "dilation", "dilations", "dilation_h", "dilation_w")
_NON_NEGATIVE = ("pad", "pads", "pad_t", "pad_l", "pad_b", "pad_r")


def validate_net(net, path: str | None = None, *, where: str = "", depth: int = 0) -> None:
    """C2FormatError naming the first op that breaks its schema (see module doc)."""
    from .schema import op_schema

    if depth > MAX_SUBNET_DEPTH:
        raise C2FormatError(f"{where}sub-nets nested more than {MAX_SUBNET_DEPTH} deep", path)
    for field in ("external_input", "external_output"):
        for name in getattr(net, field):
            _check_name(name, f"{where}{field}", path)
    for i, op in enumerate(net.op):
        if not isinstance(op.type, str):
            raise C2FormatError(f"{where}op #{i}: type {bytes(op.type)[:60]!r} is not valid UTF-8", path)
        at = f"{where}op #{i} {op.type or '<no type>'}"
        if not op.type:
            raise C2FormatError(f"{where}op #{i} has no type", path)
        for name in list(op.input) + list(op.output):
            _check_name(name, at, path)
        schema = op_schema(op.type)
        if schema is not None:
            _check_io(op, schema, at, path)
            _check_args(op, schema, at, path)
        for a in op.arg:
            subs = ([a.n] if a.HasField("n") else []) + list(a.nets)
            for k, sub in enumerate(subs):
                label = f"{at} argument '{a.name}'" + (f"[{k}]" if len(subs) > 1 else "")
                validate_net(sub, path, where=f"{label}: ", depth=depth + 1)


def _check_name(name, at: str, path) -> None:
    if not isinstance(name, str):
        raise C2FormatError(f"{at}: blob name {bytes(name)[:60]!r} is not valid UTF-8", path)
    if len(name) > MAX_NAME_CHARS:
        raise C2FormatError(f"{at}: blob name '{name[:40]}...' is {len(name):,} characters long "
                            f"(limit {MAX_NAME_CHARS:,})", path)
    if not name:
        raise C2FormatError(f"{at}: empty blob name", path)


def _required(items) -> int:
    """Slots the schema requires: non-optional fixed ones; a lone variadic slot needs one."""
    fixed = [s for s in items if not s.get("optional") and not s.get("variadic")]
    if not fixed and items and all(s.get("variadic") and not s.get("optional") for s in items):
        return 1
    n = 0
    for k, s in enumerate(items):  # up to the last required slot
        if not s.get("optional") and not s.get("variadic"):
            n = k + 1
    return n


def _check_io(op, schema, at: str, path) -> None:
    need_in = _required(schema.get("inputs", []))
    if len(op.input) < need_in:
        names = ", ".join(s["name"] for s in schema.get("inputs", [])[:need_in])
        raise C2FormatError(f"{at}: has {len(op.input)} input(s), needs at least {need_in} ({names})", path)
    outs = schema.get("outputs", [])
    need_out = 0 if op.type in _NO_OUTPUT_OK else max(_required(outs), 1 if outs else 0)
    if len(op.output) < need_out:
        names = ", ".join(s["name"] for s in outs[:need_out])
        raise C2FormatError(f"{at}: has {len(op.output)} output(s), needs at least {need_out} ({names})", path)


def _is_integral(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and math.isfinite(v) and v == int(v)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))


def _show(v) -> str:
    if hasattr(v, "DESCRIPTOR") or (isinstance(v, list) and v and hasattr(v[0], "DESCRIPTOR")):
        return f"a {(v if not isinstance(v, list) else v[0]).DESCRIPTOR.name}"  # NetDef, TensorProto
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _check_args(op, schema, at: str, path) -> None:
    declared = schema.get("args", {})
    global_pool = any(a.name == "global_pooling" and a.HasField("i") and a.i for a in op.arg)
    for a in op.arg:
        spec = declared.get(a.name)
        if spec is None or a.name == "values":  # fill values: counted and typed by fills.py, never listed here
            continue
        t = spec.get("type")
        v = argument_value(a)
        bad = None
        if t == "int":
            if not (_is_integral(v) or (isinstance(v, list) and len(v) == 1 and _is_integral(v[0]))):
                bad = "an integer"
        elif t == "float":
            if a.name == "value" and isinstance(v, str):
                pass  # ConstantFill of a string dtype
            elif not (_is_number(v) or (isinstance(v, list) and len(v) == 1 and _is_number(v[0]))):
                bad = "a number (not NaN)"
        elif t == "string":
            if not isinstance(v, str) and v != []:
                bad = "UTF-8 text"
        elif t == "ints":
            items = v if isinstance(v, list) else [v]
            if not all(_is_integral(x) for x in items):
                bad = "a list of integers"
        elif t == "floats":
            items = v if isinstance(v, list) else [v]
            if not all(_is_number(x) for x in items):
                bad = "a list of numbers (not NaN)"
        elif t == "strings":
            items = v if isinstance(v, list) else [v]
            if not all(isinstance(x, str) for x in items):
                bad = "a list of UTF-8 strings"
        elif t == "net":
            # Caffe2's RecurrentNetwork keeps step_net as a text-format NetDef in a string argument
            text_net = a.HasField("s") and _parses_as_net(a.s)
            if not (a.HasField("n") or len(a.nets) or text_net):
                bad = "a NetDef"
        if bad:
            raise C2FormatError(f"{at}: argument '{a.name}' must be {bad}, got {_show(v)}", path)
        if (a.name in _POSITIVE and not (global_pool and a.name.startswith("kernel"))) or a.name in _NON_NEGATIVE:
            items = v if isinstance(v, list) else [v]
            low = 1 if a.name in _POSITIVE else 0
            if any(_is_integral(x) and int(x) < low for x in items):
                raise C2FormatError(f"{at}: argument '{a.name}' must be {'positive' if low else 'non-negative'}, "
                                    f"got {_show(v)}", path)


def _parses_as_net(data: bytes) -> bool:
    from .graph import parse_text_net

    return parse_text_net(data) is not None
