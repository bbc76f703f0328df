"""Class labels: ImageNet's 1000 by default, or a file the model names.

Accepted files: plain text, one label per line (blank lines kept as empty
labels so indices never shift; a trailing newline adds nothing), or JSON: a
list, or an object {"0": "tench", ...}.
"""

from __future__ import annotations

import json
import os

from ..errors import C2Error

RESOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources")
IMAGENET = os.path.join(RESOURCES, "imagenet_labels.txt")


def load_labels(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        from ..io.user_files import file_error

        raise file_error(e, path, "labels") from None
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise C2Error(f"labels file is not valid JSON: {e}", path) from None
        if isinstance(data, list):
            return [str(x) for x in data]
        if isinstance(data, dict):
            try:
                idx = {int(k): str(v) for k, v in data.items()}
            except ValueError:
                raise C2Error("JSON labels object must map class indices to names", path) from None
            return [idx.get(i, "") for i in range(max(idx) + 1 if idx else 0)]
        raise C2Error("JSON labels must be a list or an object", path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.rstrip("\r").strip() for ln in lines]


def imagenet_labels() -> list[str] | None:
    return load_labels(IMAGENET) if os.path.isfile(IMAGENET) else None


def labels_for(sidecar: dict, folder: str | None, override: str | None = None) -> list[str] | None:
    """--labels FILE, else the sidecar's labels (a list, a file beside the model, or 'imagenet'), else ImageNet."""
    if override:
        return load_labels(override)
    spec = sidecar.get("labels")
    if isinstance(spec, list):
        return [str(x) for x in spec]
    if isinstance(spec, str) and spec and spec.lower() != "imagenet":
        p = spec if os.path.isabs(spec) else os.path.join(folder or ".", spec)
        if os.path.isfile(p):
            return load_labels(p)
        alt = os.path.join(RESOURCES, os.path.basename(spec))
        if os.path.isfile(alt):
            return load_labels(alt)
        raise C2Error(f"labels file '{spec}' named by model.json not found", folder)
    return imagenet_labels()
