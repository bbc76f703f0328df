"""model.json: what a zoo-built Caffe2 model needs beside its two nets (format in c2core.zoo's docstring)."""

from __future__ import annotations

import json
import os

from ..errors import C2FormatError

SIDECAR = "model.json"
FORMAT = "caffe2-studio-model/1"


def write_sidecar(folder: str, data: dict) -> str:
    from ..io.save import write_bytes

    path = os.path.join(folder, SIDECAR)
    write_bytes(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path


def read_sidecar(folder_or_file: str) -> dict:
    """The sidecar of a model folder (or the model.json path itself), checked for the fields consumers read."""
    path = folder_or_file
    if os.path.isdir(path):
        path = os.path.join(path, SIDECAR)
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise C2FormatError("no such file", path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise C2FormatError(f"not valid JSON: {e}", path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise C2FormatError(f"not a Caffe2 Studio model sidecar (expected format {FORMAT!r})", path)
    for key in ("input", "output", "preprocessing"):
        if not isinstance(data.get(key), dict):
            raise C2FormatError(f"sidecar lacks the '{key}' object", path)
    p = data["preprocessing"]
    for key in ("color", "crop", "mean", "std", "scale"):
        if key not in p:
            raise C2FormatError(f"sidecar preprocessing lacks '{key}'", path)
    return data
