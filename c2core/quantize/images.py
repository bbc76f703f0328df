"""Calibration and held-back images for post-training quantization.

The calibration set is the first `count` readable images of a folder in
file-name order (so runs repeat); the held-back set, on which the report
measures agreement with FP32, is a separate `--val` folder or else the
folder's images not used for calibration. Every image goes through the
model's own preprocessing (sidecar model.json or a preset), exactly as
`classify` feeds it. Unreadable images are skipped and counted; a set with no
readable image is refused. The fingerprint (names, sizes and bytes of the
calibration images, count and preprocessing) keys the quantized-model cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import C2Error

DEFAULT_COUNT = 300
MAX_HELD_BACK = 300  # enough for a stable agreement figure, bounded time


@dataclass
class ImageSets:
    calib: list  # float32 (C, H, W) arrays
    held: list
    calib_paths: list
    held_paths: list
    held_source: str  # "val folder", "rest of the calibration folder" or "calibration images (none held back)"
    skipped: list = field(default_factory=list)  # (path, reason)
    fingerprint: str = ""

    def summary(self) -> dict:
        return {"calibration_images": len(self.calib), "held_back_images": len(self.held),
                "held_back_source": self.held_source, "skipped_unreadable": len(self.skipped)}


def _load(paths, preprocess, skipped, cancel=None):
    from ..preprocess.images import load_image

    out, used = [], []
    for p in paths:
        if cancel is not None and _cancelled(cancel):
            from ..errors import Cancelled

            raise Cancelled("quantization cancelled")
        try:
            out.append(np.asarray(preprocess.apply(load_image(p)), dtype=np.float32))
            used.append(p)
        except (C2Error, OSError, ValueError) as e:
            skipped.append((p, str(getattr(e, "reason", e)).splitlines()[0]))
    return out, used


def _cancelled(cancel) -> bool:
    c = getattr(cancel, "cancelled", None)
    if c is not None:
        return bool(c() if callable(c) else c)
    return bool(cancel())


def _listed(folder: str, what: str) -> list[str]:
    from ..preprocess.images import list_images

    if not os.path.isdir(folder):
        raise C2Error(f"{what} folder does not exist or is not a folder", folder)
    paths = list_images(folder)
    if not paths:
        raise C2Error(f"{what} folder holds no images (.jpg, .png, ...)", folder)
    return paths


def load_sets(folder: str, preprocess, count: int | None = DEFAULT_COUNT, val: str | None = None,
              cancel=None, max_held: int = MAX_HELD_BACK) -> ImageSets:
    """Read and preprocess the calibration (and held-back) images; C2Error when unusable."""
    if count is not None and count < 1:
        raise C2Error(f"calibration count must be at least 1, got {count}", "--calib-count")
    paths = _listed(folder, "calibration")
    skipped: list = []
    want = len(paths) if count is None else int(count)
    calib, used, rest = [], [], list(paths)
    # read in order until `want` images loaded: unreadable ones do not shrink the set
    while rest and len(calib) < want:
        chunk, rest = rest[: want - len(calib)], rest[want - len(calib):]
        arrs, ok = _load(chunk, preprocess, skipped, cancel)
        calib += arrs
        used += ok
    if not calib:
        raise C2Error(f"none of the {len(paths)} image(s) could be read ({skipped[0][1] if skipped else 'no images'})",
                      folder)
    if val is not None:
        held, held_paths = _load(_listed(val, "validation")[:max_held], preprocess, skipped, cancel)
        source = "val folder"
        if not held:
            raise C2Error("none of the validation images could be read", val)
    elif rest:
        held, held_paths = _load(rest[:max_held], preprocess, skipped, cancel)
        source = "rest of the calibration folder"
    else:
        held, held_paths = [], []
    if not held:
        held, held_paths = calib[:max_held], used[:max_held]
        source = "calibration images (none held back: give --val DIR or more images than --calib-count)"
    return ImageSets(calib, held, used, held_paths, source, skipped, _fingerprint(used, count, preprocess))


def _fingerprint(paths, count, preprocess) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"count": count, "preprocess": repr(preprocess)}, sort_keys=True).encode())
    for p in paths:
        h.update(os.path.basename(p).encode() + b"\0")
        with open(p, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]
