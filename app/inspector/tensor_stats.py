"""Summary numbers of a tensor for display: min, max, mean, std, zeros, NaN, Inf.

Presentation only (what the inspector prints), computed in float64 over the
finite values so one NaN does not hide the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TensorStats:
    count: int
    min: float
    max: float
    mean: float
    std: float
    zeros: int
    nan: int
    inf: int


def tensor_stats(a: np.ndarray) -> TensorStats:
    a = np.asarray(a)
    n = int(a.size)
    if a.dtype.kind not in "fiub" or n == 0:
        return TensorStats(n, float("nan"), float("nan"), float("nan"), float("nan"), 0, 0, 0)
    if a.dtype.kind == "f":
        nan = int(np.isnan(a).sum())
        inf = int(np.isinf(a).sum())
        finite = a[np.isfinite(a)] if (nan or inf) else a
    else:
        nan = inf = 0
        finite = a
    zeros = int(n - np.count_nonzero(a))
    if finite.size == 0:
        return TensorStats(n, float("nan"), float("nan"), float("nan"), float("nan"), zeros, nan, inf)
    f = finite.astype(np.float64, copy=False)
    return TensorStats(n, float(f.min()), float(f.max()), float(f.mean()), float(f.std()), zeros, nan, inf)


def histogram(a: np.ndarray, bins: int = 64) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a)
    if a.dtype.kind not in "fiub" or a.size == 0:
        return np.zeros(0), np.zeros(1)
    f = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if f.size == 0:
        return np.zeros(0), np.zeros(1)
    return np.histogram(f.astype(np.float64, copy=False), bins=bins)


def filter_grid(w: np.ndarray, max_filters: int = 64, cell: int = 28) -> np.ndarray | None:
    """An RGB uint8 mosaic of conv filters (O, I, kh, kw): RGB when I == 3, else channel mean.

    Each filter is normalised to its own range; returns None for non-4-D or 1×1 kernels.
    """
    w = np.asarray(w)
    if w.ndim != 4 or w.dtype.kind != "f" or (w.shape[2] < 2 and w.shape[3] < 2):
        return None
    o = min(w.shape[0], max_filters)
    cols = int(np.ceil(np.sqrt(o)))
    rows = int(np.ceil(o / cols))
    kh, kw = w.shape[2], w.shape[3]
    scale = max(1, cell // max(kh, kw))
    ch, cw = kh * scale, kw * scale
    gap = 2
    out = np.full((rows * (ch + gap) + gap, cols * (cw + gap) + gap, 3), 255, np.uint8)
    for k in range(o):
        f = w[k, :3].transpose(1, 2, 0) if w.shape[1] == 3 else np.repeat(w[k].mean(axis=0)[..., None], 3, axis=2)
        f = np.nan_to_num(f.astype(np.float64))
        lo, hi = f.min(), f.max()
        f = (f - lo) / (hi - lo) if hi > lo else np.full_like(f, 0.5)
        img = np.kron((f * 255).astype(np.uint8), np.ones((scale, scale, 1), np.uint8))
        r, c = divmod(k, cols)
        y, x = gap + r * (ch + gap), gap + c * (cw + gap)
        out[y:y + ch, x:x + cw] = img
    return out
