"""Argument defaults are written once, in the op schema (issue 12, item 4).

`Args` bound to an op type answers an unset argument with the schema's
default; under test (C2CORE_STRICT=1, tests/conftest.py) a literal default
given beside a schema default raises; and a scan of the source finds no
argument lookup whose literal default repeats a schema default.
"""

import ast
import json
import pathlib

import pytest

from c2core.args import Args, op_args
from c2core.builder import NetBuilder
from c2core.schema import load

ROOT = pathlib.Path(__file__).resolve().parents[2] / "c2core"
GETTERS = {"int", "float", "str", "ints", "floats", "i", "f", "s"}
# The ONNX importer reads ONNX attributes (onnx.defs defaults), not Caffe2 arguments.
SKIP = {ROOT / "onnx" / "importer"}


def test_unset_arguments_take_the_schema_default():
    b = NetBuilder("n")
    op = b.op("HardSigmoid", "x", "y")
    a = op_args(op)
    assert (a.float("alpha"), a.float("beta")) == (pytest.approx(0.2), 0.5)
    assert Args([], "GroupNorm").int("group") == 32
    assert Args([], "Conv").spatial("stride", "strides", 2) == [1, 1]
    assert Args({"alpha": 0.3}, "HardSigmoid").float("alpha") == 0.3  # a set value wins


def test_without_a_schema_default_the_given_one_or_zero():
    assert Args([], "Conv").int("kernel") == 0  # Caffe2: unset
    assert Args([], "Cast").int("to", 1) == 1  # no schema default: the given one
    assert Args({}).float("alpha") == 0.0 and Args({}).ints("axes") is None  # no op type


def test_strict_mode_refuses_a_literal_beside_the_schema_default():
    with pytest.raises(AssertionError, match="HardSigmoid.alpha: default 0.2 written in code"):
        Args([], "HardSigmoid").float("alpha", 0.2)


def _schema_defaults() -> dict:
    out: dict = {}
    for entry in load().values():
        for name, spec in entry.get("args", {}).items():
            if "default" in spec:
                out.setdefault(name, []).append(spec["default"])
    return out


def test_no_literal_default_repeats_the_schema():
    """Any `x.int("name", <literal>)`-style lookup (kernels, rules, exporters, runtime)
    whose literal equals a schema default of that argument name is a second copy."""
    defaults = _schema_defaults()
    hits = []
    for path in sorted(ROOT.rglob("*.py")):
        if any(s in path.parents for s in SKIP) or path.parent.name == "schema":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in GETTERS
                    and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            try:
                value = ast.literal_eval(node.args[1])
            except ValueError:
                continue
            if any(json.dumps(value) == json.dumps(d) or value == d for d in defaults.get(node.args[0].value, [])):
                hits.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {ast.unparse(node)}")
    assert not hits, "literal defaults that repeat the schema (drop them):\n" + "\n".join(hits)
