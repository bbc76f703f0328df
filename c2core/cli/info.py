"""Summarise a Caffe2 model: files, ops, inputs and outputs with shapes, parameters, warnings.

`c2core info PATH [--input-shape [NAME=]D1,D2,...]... [--json]`. PATH is a
predict net, an init net, a folder or a minidb. The human summary is for
reading; `--json` prints one object for scripts (keys listed in `summary`).
Imports neither torch nor onnx: opening a model must stay fast.
"""

from __future__ import annotations

import json
import os
import sys

from ..errors import C2Error
from ..sizes import human_bytes
from .inputs import parse_input_shapes


def add_arguments(p) -> None:
    p.add_argument("path", help="predict net, init net, model folder or minidb file")
    p.add_argument("--input-shape", action="append", default=[], metavar="[NAME=]D1,D2,...",
                   help="shape of a data input (repeatable; without NAME= the first data input's); overrides value_info.json")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")


def _dtype_name(elem_type) -> str | None:
    import numpy as np

    from ..fills import DTYPE_OF_PROTO

    dt = DTYPE_OF_PROTO.get(int(elem_type))
    return None if dt is None else np.dtype(dt).name


def _infer(model, shapes, warnings):
    """name -> BlobInfo from c2core.shapes, or {} (with a warning) when it cannot."""
    try:
        from ..shapes import infer_shapes
    except ImportError:
        return {}
    try:
        return infer_shapes(model, input_shapes=shapes or None)
    except C2Error as e:
        warnings.append(f"shape inference stopped: {e.reason}")
    except Exception as e:  # inference is a bonus here: never let it sink `info`
        warnings.append(f"shape inference failed: {type(e).__name__}: {e}")
    return {}


def _assumed_shapes(model, data, shapes, warnings) -> dict:
    """name -> shape the input resolver infers (c2core.inputs: from the first consumer's
    filter or weight) for the data inputs nothing declares; its one warning line joins
    `warnings`. `info` shows these marked as assumed, as `run`/`convert` would use them."""
    if all(n in shapes for n in data):
        return {}
    from ..inputs import resolve_inputs

    try:
        r = resolve_inputs(model, infer=True)
    except C2Error:
        return {}
    out = {n: tuple(r.shapes[n]) for n in data if n not in shapes and r.sources.get(n) == "inferred"}
    if out and r.warning:
        warnings.append(r.warning)
    return out


def _dims(shape):
    """JSON form of a shape: null when unknown, null for each unknown size."""
    if shape is None:
        return None
    return [None if d is None or d < 0 else int(d) for d in shape]


def summary(model, input_shapes=None) -> dict:
    """The `--json` object: name, num_ops, op_types, external_inputs,
    external_outputs, num_parameters, weights_bytes, inputs, outputs
    (`{name, shape, dtype}`, shape null when unknown, a size null when only
    that size is unknown, e.g. [1, null] for a structure-only classifier), plus files, formats,
    structure_only, unknown_ops, random_weights and warnings."""
    from ..schema import known_op_types

    input_shapes = dict(input_shapes or {})
    ext_in = model.external_inputs
    for n in input_shapes:
        if n not in ext_in:
            raise C2Error(f"'{n}' is not an external input of the net (inputs: {', '.join(model.data_inputs) or 'none'})",
                          "--input-shape")
    data = model.data_inputs
    for n in input_shapes:
        if n not in data:
            data.append(n)
    shapes = dict(model.input_shapes())
    shapes.update(input_shapes)
    warnings = list(model.warnings)
    assumed = _assumed_shapes(model, data, shapes, warnings)
    assumed_out, inferred = False, {}
    if assumed:
        tried = []
        inferred = _infer(model, {**shapes, **assumed}, tried)
        if tried:  # the assumed size does not fit the net (an FC after a Conv wants one size)
            warnings.append(f"with the assumed input shape{'s' if len(assumed) > 1 else ''} "
                            f"{tried[0].split(': ', 1)[-1]}: give --input-shape NAME=D0,D1,...")
            inferred = {}
        assumed_out = bool(inferred)
    if not inferred:
        inferred = _infer(model, shapes, warnings)
    specs = model.weight_specs

    inputs = []
    for n in data:
        shape = shapes.get(n)
        dtype = None
        if n in model.value_info:
            dtype = _dtype_name(model.value_info[n][0])
        elif n in specs and specs[n].numel > 1:
            dtype = specs[n].dtype
        elif shape is not None:
            dtype = "float32"
        info = inferred.get(n)
        was_assumed = shape is None and n in assumed
        if was_assumed:
            shape, dtype = assumed[n], dtype or "float32"
        elif shape is None and info is not None and info.shape is not None:
            shape = info.shape
        entry = {"name": n, "shape": _dims(shape), "dtype": dtype}
        if was_assumed:
            entry["assumed"] = True  # only then: the key is absent for declared shapes
        inputs.append(entry)
    outputs = []
    for n in model.external_outputs:
        info = inferred.get(n)
        shape = None if info is None else _dims(info.shape)
        entry = {"name": n, "shape": shape, "dtype": None if info is None else info.dtype}
        if assumed_out and shape is not None:
            entry["assumed"] = True
        outputs.append(entry)

    op_types = model.op_types()
    unknown = sorted(set(op_types) - known_op_types())
    random_w = sorted(k for k, s in specs.items() if s.random)
    if random_w:
        more = f" (+{len(random_w) - 5} more)" if len(random_w) > 5 else ""
        warnings.append(f"{len(random_w)} weight(s) come from random initialisers (untrained net): "
                        f"{', '.join(random_w[:5])}{more}")
    files = {"predict": model.predict_path}
    if model.init_path and model.init_path != model.predict_path:
        files["init"] = model.init_path
    return {
        "name": model.name,
        "files": files,
        "formats": dict(model.formats),
        "structure_only": model.init_net is None and not specs,
        "num_ops": len(model.predict_net.op),
        "op_types": dict(sorted(op_types.items(), key=lambda kv: (-kv[1], kv[0]))),
        "external_inputs": ext_in,
        "external_outputs": model.external_outputs,
        "num_parameters": model.num_parameters,
        "weights_bytes": model.weights_bytes,
        "inputs": inputs,
        "outputs": outputs,
        "unknown_ops": unknown,
        "random_weights": random_w,
        "warnings": warnings,
    }


def _fmt_io(entry) -> str:
    shape = "?" if entry["shape"] is None else "[" + ", ".join("?" if d is None else str(d) for d in entry["shape"]) + "]"
    note = "  (assumed: see warnings)" if entry.get("assumed") else ""
    return f"{entry['name']}  {entry['dtype'] or '?'} {shape}{note}"


def format_summary(s: dict) -> str:
    lines = [s["name"]]
    fmts = s["formats"]
    files = [f"{os.path.basename(p)} ({fmts.get(k, '?')})" for k, p in s["files"].items() if p]
    lines.append(f"  files:       {', '.join(files) or '(in memory)'}")
    if s["structure_only"]:
        lines.append("               structure only: no init net, weights unknown")
    lines.append(f"  ops:         {s['num_ops']}")
    hist = ", ".join(f"{t} {c}" for t, c in s["op_types"].items())
    lines.append(f"  op types:    {hist or '(none)'}")
    for title, key in (("inputs", "inputs"), ("outputs", "outputs")):
        items = s[key] or [{"name": "(none)", "shape": None, "dtype": None}]
        for i, e in enumerate(items):
            lines.append(f"  {(title + ':') if i == 0 else '':<12} {_fmt_io(e) if e['name'] != '(none)' else '(none)'}")
    lines.append(f"  parameters:  {s['num_parameters']:,} ({human_bytes(s['weights_bytes'])})")
    if s["unknown_ops"]:
        lines.append(f"  unknown ops: {', '.join(s['unknown_ops'])}")
    if s["warnings"]:
        lines.append("warnings:")
        lines.extend(f"  - {w}" for w in s["warnings"])
    return "\n".join(lines)


def run(args) -> int:
    from ..io import open_model

    model = open_model(args.path)
    shapes = parse_input_shapes(args.input_shape, model.data_inputs, allow_zero=True)
    s = summary(model, shapes)
    if args.json:
        sys.stdout.write(json.dumps(s) + "\n")
    else:
        sys.stdout.write(format_summary(s) + "\n")
    return 0
