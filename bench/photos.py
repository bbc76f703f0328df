"""Calibration / held-back photos for INT8 benchmarks and tests, made offline from
scikit-image's bundled sample photos plus crops and flips.

`write_photos(folder, n)` writes up to `n` JPEGs, photo by photo in rounds of
variants (whole, mirrored, corner and centre crops, mirrored crops),
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
    """Twelve views that keep the object in frame: whole, mirrored, 80% crops
    from each corner (and mirrored), centre crops of 80% and 60%."""
    h, w = a.shape[:2]
    ch, cw = int(h * 0.8), int(w * 0.8)
    corners = [a[:ch, :cw], a[:ch, w - cw:], a[h - ch:, :cw], a[h - ch:, w - cw:]]
    yield a
    yield a[:, ::-1]
    yield from corners
    yield a[(h - ch) // 2:(h - ch) // 2 + ch, (w - cw) // 2:(w - cw) // 2 + cw]
    yield a[int(h * 0.2):int(h * 0.8), int(w * 0.2):int(w * 0.8)]
    for c in corners:
        yield c[:, ::-1]


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
