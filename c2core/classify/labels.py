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


MAX_LABELS_BYTES = 64 << 20


def load_labels(path: str) -> list[str]:
    import stat

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise C2Error("labels must be a regular file (not a folder, pipe or device)", path)
        if st.st_size > MAX_LABELS_BYTES:
            raise C2Error(f"labels file is {st.st_size:,} bytes, more than a labels file holds", path)
        with open(path, encoding="utf-8-sig") as f:  # -sig: a BOM (Windows editors) is not part of label 0
            text = f.read()
    except UnicodeDecodeError as e:
        raise C2Error(f"labels file is not UTF-8 text ({e.reason} at byte {e.start})", path) from None
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


def confined(name: str, folder: str, what: str) -> str:
    """`name` (from model.json) as a path inside the model's `folder`: a file
    the model ships, never an absolute path, `..` or a link leading out."""
    if "\x00" in name or os.path.isabs(name):
        raise C2Error(f"model.json {what} '{name}' must be a file inside the model's folder", folder)
    base = os.path.realpath(folder)
    p = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([base, p]) != base:
        raise C2Error(f"model.json {what} '{name}' points outside the model's folder: refused", folder)
    return p


def imagenet_labels() -> list[str] | None:
    return load_labels(IMAGENET) if os.path.isfile(IMAGENET) else None


def labels_for(sidecar: dict, folder: str | None, override: str | None = None) -> list[str] | None:
    """--labels FILE, else the sidecar's labels (a list, a file beside the model, or 'imagenet'), else ImageNet."""
    if override:
        return load_labels(override)
    spec = sidecar.get("labels")
    if isinstance(spec, list):
        return [str(x) for x in spec]
    if spec is not None and not isinstance(spec, (str, list)):
        raise C2Error(f"model.json 'labels' must be a file name, a list or 'imagenet', got {type(spec).__name__}",
                      folder)
    if isinstance(spec, str) and spec and spec.lower() != "imagenet":
        p = confined(spec, folder or ".", "labels")
        if os.path.isfile(p):
            return load_labels(p)
        alt = os.path.join(RESOURCES, os.path.basename(spec))
        if os.path.isfile(alt):
            return load_labels(alt)
        raise C2Error(f"labels file '{spec}' named by model.json not found", folder)
    return imagenet_labels()


IMAGENET_CLASSES = 1000


def labels_for_classes(classes: int, sidecar: dict | None = None, folder: str | None = None,
                       override: str | None = None, warnings: list | None = None) -> list[str]:
    """Labels that match a model with `classes` outputs (the app and the CLI both ask here).

    --labels FILE / model.json's labels when given (a count that differs from the
    model's is warned about, missing names become `class i`); else ImageNet's
    only for 1000 classes (1001: index 0 is 'background', as in TF-slim models);
    else `class 0..N-1` with a warning.
    """
    chosen = labels_for(sidecar or {}, folder, override) if (override or (sidecar or {}).get("labels") not in (None, "imagenet", "ImageNet")) else None
    if chosen is not None:
        if len(chosen) != classes and warnings is not None:
            warnings.append(f"labels file has {len(chosen)} labels but the model outputs {classes} classes")
        return [chosen[i] if i < len(chosen) else f"class {i}" for i in range(classes)]
    net = imagenet_labels()
    if net is not None and classes == IMAGENET_CLASSES:
        return net
    if net is not None and classes == IMAGENET_CLASSES + 1:
        return ["background"] + net
    if warnings is not None:
        warnings.append(f"the model outputs {classes} classes, not ImageNet's 1000: showing 'class 0'..'class {classes - 1}' "
                        "(give its labels with --labels FILE)")
    return [f"class {i}" for i in range(classes)]
