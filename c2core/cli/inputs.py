"""Options that name a model's data inputs: `--input-shape [NAME=]D0,D1,...` and `--input [NAME=]FILE`.

One parser for each, shared by info, run, import and convert (all targets), so
every command accepts the same spellings and refuses a bad one with the same
line, `error: --input-shape: <reason>` (or `--input`), exit 2.
"""

from __future__ import annotations

import os

from ..errors import C2Error


def _unnamed(item: str, data_inputs, option: str, form: str) -> str:
    """The data input an item without NAME= is for: the first one (Caffe2's data blob)."""
    if data_inputs is None:
        raise C2Error(f"expected {form} but got '{item}'", option)
    if not data_inputs:
        raise C2Error(f"'{item}': the net has no data input to give it to", option)
    return data_inputs[0]


def parse_input_shapes(items, data_inputs=None, *, allow_zero: bool = False) -> dict[str, tuple[int, ...]]:
    """`NAME=1,3,224,224` (or `1x3x224x224`) strings -> {name: shape}.

    With `data_inputs` a shape without NAME= is the first data input's; with
    None (the model is not open yet) NAME is required. Sizes must be
    positive (`allow_zero`: non-negative, e.g. zero RoIs for shape inference).
    Whether NAME is an input of the model is for the caller to check.
    """
    form = "NAME=D0,D1,..."
    out: dict[str, tuple[int, ...]] = {}
    for item in items or ():
        name, sep, dims = item.rpartition("=")
        name = name.strip()
        if not sep:
            name = _unnamed(item, data_inputs, "--input-shape", form)
        elif not name:
            raise C2Error(f"expected {form} but got '{item}'", "--input-shape")
        parts = dims.split(",") if "," in dims else dims.lower().split("x")
        try:
            shape = tuple(int(d) for d in parts)
        except ValueError:
            raise C2Error(f"dimensions of '{item}' must be integers ({form}, e.g. data=1,3,224,224)",
                          "--input-shape") from None
        if not shape or any(d < 0 or (d == 0 and not allow_zero) for d in shape):
            which = "non-negative" if allow_zero else "positive"
            raise C2Error(f"dimensions of '{item}' must be {which}", "--input-shape")
        if name in out:
            raise C2Error(f"'{name}' given twice", "--input-shape")
        out[name] = shape
    return out


def parse_input_files(items, data_inputs) -> dict[str, str]:
    """`NAME=FILE` / `FILE` strings -> {name: path}; a FILE alone feeds the first data input.

    An existing file whose own name holds '=' is taken whole. Every file must
    exist (C2Error 'no such file' naming it); a name given twice is refused.
    """
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, path = item.partition("=")
        if not sep or (os.path.exists(item) and not os.path.exists(path)):
            name, path = "", item
        name = name.strip() or _unnamed(item, data_inputs, "--input", "NAME=FILE")
        if name in out:
            raise C2Error(f"input '{name}' given twice", "--input")
        if not os.path.isfile(path):
            if os.path.exists(path):
                what = "a folder" if os.path.isdir(path) else "not a regular file (a pipe, device or socket)"
                raise C2Error(f"is {what}: give a .npy or image file", path)
            raise C2Error("no such file", path)
        out[name] = path
    return out
