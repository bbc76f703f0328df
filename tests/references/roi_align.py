"""NumPy reference for Caffe2 RoIAlign, written from the loops of roi_align_op.cc.

Shared by the kernel tests (tests/c2core/ops) and the ONNX export tests
(tests/c2core/onnx). Sample positions are computed in float32, as Caffe2
computes them, so that the floor() in the bilinear step picks the same pixels
as a float32 implementation; the interpolation and the average are float64.
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32


def bilinear(fmap, y: float, x: float) -> np.ndarray:
    """roi_align_op.cc bilinear_interpolate: one sample of a [C, H, W] map (zeros outside [-1, H] x [-1, W])."""
    _, h, w = fmap.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(fmap.shape[0])
    y, x = max(float(y), 0.0), max(float(x), 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * fmap[:, y0, x0] + hy * lx * fmap[:, y0, x1] + ly * hx * fmap[:, y1, x0] + ly * lx * fmap[:, y1, x1]


def roi_align(x, rois, scale, ph, pw, ratio, aligned) -> np.ndarray:
    """x: [N, C, H, W]; rois: [R, 5] (batch index, x1, y1, x2, y2) or [R, 4] (image 0).

    Returns [R, C, ph, pw] float64. `ratio` <= 0 means adaptive sampling
    (ceil of the bin size); `aligned` shifts box corners by half a pixel.
    """
    x = np.asarray(x, np.float64)
    rois = np.asarray(rois)
    c = x.shape[1]
    out = np.zeros((rois.shape[0], c, ph, pw))
    off = F32(0.5 if aligned else 0.0)
    for r, roi in enumerate(rois):
        fmap = x[int(roi[0]) if roi.size == 5 else 0]
        x1, y1, x2, y2 = (F32(v) * F32(scale) - off for v in roi[-4:])
        rw, rh = F32(x2 - x1), F32(y2 - y1)
        if not aligned:
            rw, rh = max(rw, F32(1)), max(rh, F32(1))
        bh, bw = F32(rh / F32(ph)), F32(rw / F32(pw))
        gh = ratio if ratio > 0 else int(math.ceil(F32(rh / F32(ph))))
        gw = ratio if ratio > 0 else int(math.ceil(F32(rw / F32(pw))))
        for py in range(ph):
            for px in range(pw):
                acc = np.zeros(c)
                for iy in range(gh):
                    yy = F32(F32(y1 + F32(py) * bh) + F32(F32(F32(iy + 0.5) * bh) / F32(gh)))
                    for ix in range(gw):
                        xx = F32(F32(x1 + F32(px) * bw) + F32(F32(F32(ix + 0.5) * bw) / F32(gw)))
                        acc += bilinear(fmap, yy, xx)
                out[r, :, py, px] = acc / max(gh * gw, 1)
    return out
