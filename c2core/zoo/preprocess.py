"""The minimal image preprocessing a zoo sidecar describes (resize, center crop, normalise).

`prepare_image(rgb_uint8_hwc, spec)` follows the `preprocessing` object of
model.json literally: shorter side resized to `resize` (bilinear), centre crop
`crop`×`crop`, channels in `color` order, then `(pixel * scale - mean) / std`
per channel, laid out NCHW with a batch of one. c2core.classify has the full
presets; this is what the zoo's own checks use.
"""

from __future__ import annotations

import numpy as np


def prepare_image(image: np.ndarray, spec: dict) -> np.ndarray:
    from PIL import Image

    a = np.asarray(image)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    if a.shape[-1] == 4:
        a = a[..., :3]
    if a.dtype != np.uint8:
        a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    im = Image.fromarray(a)
    resize, crop = int(spec.get("resize") or 0), int(spec["crop"])
    if resize:
        w, h = im.size
        k = resize / min(w, h)
        im = im.resize((max(crop, round(w * k)), max(crop, round(h * k))), Image.BILINEAR)
    w, h = im.size
    left, top = (w - crop) // 2, (h - crop) // 2
    x = np.asarray(im.crop((left, top, left + crop, top + crop)), dtype=np.float32)
    if spec.get("color", "RGB").upper() == "BGR":
        x = x[..., ::-1]
    x = x * float(spec.get("scale", 1.0))
    x = (x - np.asarray(spec.get("mean", 0.0), np.float32)) / np.asarray(spec.get("std", 1.0), np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))
