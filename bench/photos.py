"""Calibration / held-back photos for INT8 benchmarks and tests, made offline from
scikit-image's bundled sample photos plus crops, flips and rotations.

`write_photos(folder, n)` writes up to `n` JPEGs, photo by photo in rounds of
variants (full, mirrored, four corner crops, centre crop, 90-degree turns...),
so any prefix mixes every source photo. Deterministic: the same n gives the
same files.
"""

from __future__ import annotations

import os

import numpy as np

# Photos of objects (grey ones replicated to RGB). scikit-image's textures,
# micrographs and sky images are left out: an ImageNet classifier has no class
# for them, its FP32 answer is a near-tie, and agreement on near-ties measures noise.
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "camera", "clock", "coins")


def _photo(name: str) -> np.ndarray:
    import skimage.data as d

    a = getattr(d, name)()
    a = a[0] if isinstance(a, tuple) else a
    a = np.asarray(a)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    return np.ascontiguousarray(a[..., :3]).astype(np.uint8)


def _variants(a: np.ndarray):
    h, w = a.shape[:2]
    ch, cw = int(h * 0.6), int(w * 0.6)
    yield a
    yield a[:, ::-1]
    yield a[:ch, :cw]
    yield a[:ch, w - cw:]
    yield a[h - ch:, :cw]
    yield a[h - ch:, w - cw:]
    yield a[h // 4: h // 4 + h // 2, w // 4: w // 4 + w // 2]
    yield np.rot90(a)
    yield a[::-1, ::-1]
    yield a[:ch, :cw][:, ::-1]
    yield a[h // 8: h - h // 8, w // 8: w - w // 8][:, ::-1]
    yield np.rot90(a, 3)


def write_photos(folder: str, n: int = 96) -> list[str]:
    from PIL import Image

    os.makedirs(folder, exist_ok=True)
    photos = [(name, list(_variants(_photo(name)))) for name in PHOTOS]
    out = []
    for v in range(12):
        for name, variants in photos:
            if len(out) >= n:
                return out
            path = os.path.join(folder, f"{v:02d}_{name}.jpg")
            if not os.path.exists(path):
                Image.fromarray(np.ascontiguousarray(variants[v])).save(path, quality=92)
            out.append(path)
    return out
