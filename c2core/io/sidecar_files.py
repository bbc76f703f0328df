"""Write the small JSON files that sit beside a model: value_info.json and model.json.

The app lets a user set input shapes and a preprocessing preset, and save them
next to the model so every later open (app, CLI, batch) agrees. Both files
are merged with what is already there (other entries are kept) and written
atomically (temp file + rename, `save.atomic_path`), so a failed or cancelled
save never leaves a half-written sidecar.
"""

from __future__ import annotations

import json
import os

from ..errors import C2Error
from .save import write_bytes

VALUE_INFO = "value_info.json"
MODEL_JSON = "model.json"
FLOAT = 1  # TensorProto.FLOAT, the elem_type of image inputs


def model_folder(model_or_path) -> str:
    """The folder a model's sidecars belong in (the predict net's folder, or the folder given)."""
    path = getattr(model_or_path, "predict_path", model_or_path)
    if not path:
        raise C2Error("this model exists only in memory: save it first, then its input shapes")
    path = os.fspath(path)
    return path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))


def _read_json(path: str) -> dict:
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise C2Error(f"cannot update it: not readable JSON ({e})", path) from None
    if not isinstance(data, dict):
        raise C2Error("cannot update it: expected a JSON object", path)
    return data


def save_value_info(folder: str, shapes: dict, elem_types: dict | None = None) -> str:
    """Merge {name: shape} into `folder`/value_info.json ([elem_type, dims] entries); returns its path."""
    path = os.path.join(folder, VALUE_INFO)
    data = _read_json(path)
    for name, shape in shapes.items():
        dims = [int(d) for d in shape]
        if not dims or any(d <= 0 for d in dims):
            raise C2Error(f"input '{name}': every dimension must be a positive integer, got {dims}", path)
        old = data.get(name)
        elem = (elem_types or {}).get(name) or (old[0] if isinstance(old, list) and old else FLOAT)
        data[name] = [int(elem), dims]
    write_bytes(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path


def update_model_json(folder: str, updates: dict) -> str:
    """Merge top-level keys into `folder`/model.json (None removes a key); returns its path."""
    path = os.path.join(folder, MODEL_JSON)
    data = _read_json(path)
    for k, v in updates.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    write_bytes(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path
