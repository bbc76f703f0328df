"""model.json, the sidecar beside a model: its one reader, validator and writer.

What consumers read from it: "preprocessing" (a preset name or an object,
c2core.preprocess.presets), "labels" (a file beside the model, "imagenet", or a
list of names), "input" ({"name", "shape"}), "output" ({"name", "kind"}),
"format" ("caffe2-studio-model/1"), "build" (the zoo's cache key). A zoo build
writes every field (`complete=True` checks that); a user's sidecar may hold
any subset. Every reader (classify, ModelSource, convert's image inputs, the
zoo cache) goes through `read_sidecar`, so one file is judged one way.
"""

from __future__ import annotations

import json
import os

from ..errors import C2FormatError
from .user_files import read_user_file

SIDECAR = "model.json"
FORMAT = "caffe2-studio-model/1"
MAX_BYTES = 16 * 1024 * 1024  # a sidecar is metadata; a bigger file is not one


def sidecar_path(model_path: str) -> str:
    """model.json of a model folder, or the one beside a model file (or the path itself)."""
    model_path = os.fspath(model_path)
    if os.path.basename(model_path) == SIDECAR and not os.path.isdir(model_path):
        return model_path
    folder = model_path if os.path.isdir(model_path) else os.path.dirname(os.path.abspath(model_path))
    return os.path.join(folder, SIDECAR)


def validate(data, path: str, complete: bool = False) -> dict:
    """`data` if it is a sidecar consumers can use, else C2FormatError naming what is wrong."""
    if not isinstance(data, dict):
        raise C2FormatError("model.json must hold a JSON object", path)
    fmt = data.get("format")
    if complete and fmt != FORMAT:
        raise C2FormatError(f"not a Caffe2 Studio model sidecar (expected format {FORMAT!r})", path)
    if fmt is not None and not (isinstance(fmt, str) and fmt.startswith("caffe2-studio-model/")):
        raise C2FormatError(f"unknown sidecar format {fmt!r} (expected {FORMAT!r})", path)
    pre = data.get("preprocessing", data.get("preprocess"))
    if pre is not None and not isinstance(pre, (str, dict)):
        raise C2FormatError("'preprocessing' must be a preset name or an object", path)
    labels = data.get("labels")
    if labels is not None and not (isinstance(labels, str) or
                                   (isinstance(labels, list) and all(isinstance(x, str) for x in labels))):
        raise C2FormatError("'labels' must be a file name, 'imagenet' or a list of names", path)
    for key in ("input", "output"):
        if key in data and not isinstance(data[key], dict):
            raise C2FormatError(f"'{key}' must be an object", path)
    shape = data.get("input", {}).get("shape")
    if shape is not None and not (isinstance(shape, list) and all(d is None or (isinstance(d, int) and d >= 0)
                                                                   for d in shape)):
        raise C2FormatError("'input.shape' must be a list of sizes", path)
    if complete:
        for key in ("input", "output", "preprocessing"):
            if not isinstance(data.get(key), dict):
                raise C2FormatError(f"sidecar lacks the '{key}' object", path)
        for key in ("color", "crop", "mean", "std", "scale"):
            if key not in data["preprocessing"]:
                raise C2FormatError(f"sidecar preprocessing lacks '{key}'", path)
    return data


def read_sidecar(model_path: str, required: bool = False, complete: bool = False) -> dict:
    """The validated model.json of a model (folder, file beside it, or the path itself);
    {} when there is none, unless `required`."""
    path = sidecar_path(model_path)
    if not os.path.isfile(path):
        if required:
            raise C2FormatError("no such file", path)
        return {}
    raw = read_user_file(path, MAX_BYTES)
    try:
        data = json.loads(raw.decode("utf-8-sig"))  # -sig: a BOM (Windows editors) is no error
    except (UnicodeDecodeError, ValueError) as e:
        raise C2FormatError(f"model.json is not valid JSON: {e}", path) from None
    return validate(data, path, complete)


def sidecar_bytes(data: dict, path: str = SIDECAR) -> bytes:
    """The file's content for `data` (validated), e.g. to publish with a model's other files."""
    validate(data, path)
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def write_sidecar(folder: str, data: dict) -> str:
    """Write model.json into `folder` atomically (validated first); returns its path."""
    from .save import write_bytes

    path = os.path.join(folder, SIDECAR)
    write_bytes(path, sidecar_bytes(data, path))
    return path
