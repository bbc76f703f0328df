"""Options that name a model's data inputs: `--input-shape [NAME=]D0,D1,...`, `--input [NAME=]FILE`
and `--value-info FILE`, added the same way to every command that runs a model.

The parsing itself lives in `c2core.inputs` (the app uses it too); a bad item
is refused with one line, `error: --input-shape: <reason>` (or `--input`), exit 2.
"""

from __future__ import annotations

from ..inputs import parse_input_files, parse_input_shapes  # noqa: F401  (re-exported for the commands)


def add_shape_arguments(p, value_info: bool = True) -> None:
    """--input-shape (repeatable) and --value-info, as every running command spells them."""
    p.add_argument("--input-shape", action="append", default=[], metavar="[NAME=]D0,D1,...",
                   help="shape of a data input (repeatable; without NAME= the first data input's); "
                        "overrides value_info.json")
    if value_info:
        p.add_argument("--value-info", metavar="JSON",
                       help="value_info.json with input shapes and types (default: the one beside the model, if any)")


def model_input_shapes(model, shape_items, files: dict) -> dict:
    """Shapes for converting/running `model`: --input-shape, else the --input .npy
    files' shapes, else what the model declares, else what the first consumer
    implies (one warning line on stderr saying what was assumed)."""
    import sys

    from ..inputs import resolve_inputs

    shapes = parse_input_shapes(shape_items, model.data_inputs)
    arrays = {}
    for name, path in (files or {}).items():
        if str(path).lower().endswith(".npy"):
            from ..io.npy import load_npy

            arrays[name] = load_npy(path)
    r = resolve_inputs(model, shapes=shapes, arrays=arrays, origins=files)
    if r.warning:
        print(f"warning: {r.warning}", file=sys.stderr)
    return {n: r.shapes[n] for n in r.names if n in r.shapes}
