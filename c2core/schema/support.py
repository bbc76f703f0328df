"""Which layers support each op type, as data: `support.json` beside `ops.json`.

The executor's kernels import torch, the exporters onnx helpers; the app's
model panel and `runtime.unsupported_ops` only need to know *whether* an op
type has a kernel, so they read this generated manifest instead of importing
(or parsing) the kernel modules. It is generated from the imported registries by `c2core.coverage` (which
sits above every layer it reads):

    python -m c2core.coverage          # rewrite support.json
    python -m c2core.coverage --check  # exit 1 when it is stale
    python -m c2core.coverage --table  # the coverage table, per op type

and tests/c2core/test_coverage.py fails when it differs from the registries,
so it can never drift. Layers, per Caffe2 op type: `shapes` (a shape rule),
`executor` (a kernel), `exporter` (an ONNX exporter). The ONNX importer is
keyed by ONNX op types: `onnx_import` lists them, and `importer` marks the
Caffe2 op types that its converters declare they emit.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

PATH = os.path.join(os.path.dirname(__file__), "support.json")
LAYERS = ("shapes", "executor", "exporter", "importer")


@lru_cache(maxsize=1)
def load() -> dict:
    with open(PATH, "rb") as f:
        return json.loads(f.read())


def layer_types(layer: str) -> frozenset:
    """The Caffe2 op types that `layer` supports, read from the manifest (no torch)."""
    if layer not in LAYERS:
        raise KeyError(f"unknown layer {layer!r}; layers: {', '.join(LAYERS)}")
    return frozenset(t for t, layers in load()["ops"].items() if layer in layers)


def onnx_import_types() -> frozenset:
    """ONNX op types the importer converts."""
    return frozenset(load()["onnx_import"])


COLUMNS = ("schema",) + LAYERS


def table() -> dict[str, dict[str, bool]]:
    """op type -> {column: supported} over the schema and every layer (manifest only)."""
    from . import known_op_types

    ops = load()["ops"]
    schema = known_op_types()
    rows = {}
    for t in sorted(set(ops) | schema):
        layers = ops.get(t, [])
        rows[t] = {"schema": t in schema, **{layer: layer in layers for layer in LAYERS}}
    return rows


def format_table(rows: dict) -> str:
    """The coverage table as text: one line per op type, then totals per column."""
    w = max(len(t) for t in rows)
    lines = [f"{'op type':<{w}}  " + "  ".join(f"{c:<8}" for c in COLUMNS)]
    for t, r in rows.items():
        lines.append(f"{t:<{w}}  " + "  ".join(f"{'yes' if r[c] else '-':<8}" for c in COLUMNS))
    lines.append(f"{'total ' + str(len(rows)):<{w}}  " + "  ".join(f"{sum(r[c] for r in rows.values()):<8}" for c in COLUMNS))
    return "\n".join(lines)


def dumps(data: dict) -> str:
    """JSON with one line per op type, so that a new op is a one-line diff."""
    lines = ['{', f' "version": {data["version"]},', f' "doc": {json.dumps(data["doc"])},', ' "ops": {']
    items = list(data["ops"].items())
    for i, (t, layers) in enumerate(items):
        lines.append(f'  {json.dumps(t)}: {json.dumps(layers)}' + ("," if i < len(items) - 1 else ""))
    lines.append(' },')
    lines.append(f' "onnx_import": {json.dumps(data["onnx_import"])}')
    lines.append('}')
    return "\n".join(lines) + "\n"
