"""MaxPool, AveragePool, LpPool (caffe2/operators/pool_op.cc, lp_pool_op.cc).

Windows come from `_geometry` (kernel/stride/pads in every spelling,
`legacy_pad`, `global_pooling`, `order`); `MaxPool1D/2D/3D` and
`AveragePool1D/2D/3D` fix the spatial rank, the plain names take it from X.
For each output position the window [o·stride - pad_head, + kernel) is
clipped to the input:

- MaxPool: the maximum over the clipped window.
- AveragePool: the sum over the clipped window divided by its element count,
  or by the full kernel size when `count_include_pad=1` (Caffe2 divides by
  kernel_h·kernel_w even where the window runs past the padding).
- LpPool: (Σ |x|^p)^(1/p) over the clipped window (`p` default 2).

Pads that differ between head and tail (SAME, legacy_pad=3 ceil mode) are
applied explicitly: -inf for max, zeros for the sums.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ._geometry import CAFFE_LEGACY, parse_geometry, torch_pad_list
from .registry import register

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class _PoolState:
    __slots__ = ("kind", "args", "nd_fixed", "geos", "count_include_pad", "p", "counts")


def _prepare(kind):
    def prep(ctx):
        s = _PoolState()
        s.kind = kind
        s.args = ctx.args
        t = ctx.type
        s.nd_fixed = int(t[-2]) if t[-2:-1].isdigit() and t.endswith("D") else None
        s.geos = {}
        s.count_include_pad = bool(ctx.args.int("count_include_pad"))
        s.p = ctx.args.float("p")
        s.counts = {}
        if s.nd_fixed:
            s.geos[s.nd_fixed] = parse_geometry(ctx.args, s.nd_fixed)
        else:
            for nd in (1, 2, 3):
                s.geos[nd] = parse_geometry(ctx.args, nd)
        return s

    return prep


def _window_counts(spatial, outs, pads, kernel, stride, nd):
    """Element counts of the clipped windows, shape [1, 1, *outs]."""
    total = np.ones((1,), dtype=np.float64)
    for i in range(nd):
        o = np.arange(outs[i])
        start = o * stride[i] - pads[i]
        cnt = np.minimum(start + kernel[i], spatial[i]) - np.maximum(start, 0)
        total = np.multiply.outer(total, cnt)
    return total.reshape((1, 1) + tuple(outs))


def _pool(ctx, x):
    s = ctx.state
    geo0 = next(iter(s.geos.values()))
    nhwc = geo0.nhwc
    if nhwc:
        x = x.movedim(-1, 1)
    nd = x.dim() - 2
    geo = s.geos.get(nd)
    if geo is None:
        raise ValueError(f"{ctx.type} expects a {s.nd_fixed}-D spatial input, got shape {tuple(x.shape)}")
    y = _pool_nchw(s, geo, x, nd)
    return y.movedim(1, -1) if nhwc else y


def _pool_nchw(s, geo, x, nd):
    dims = tuple(range(2, 2 + nd))
    kind = s.kind
    if geo.global_pooling:
        if kind == "max":
            return x.amax(dim=dims, keepdim=True)
        if kind == "avg":
            return x.mean(dim=dims, keepdim=True)
        return x.abs().pow(s.p).sum(dim=dims, keepdim=True).pow(1.0 / s.p)
    spatial = tuple(x.shape[2:])
    outs, pads = geo.at(spatial)
    k, st = geo.kernel, geo.stride
    sym = pads[:nd] == pads[nd:]
    if geo.legacy == CAFFE_LEGACY and kind != "lp" and not s.count_include_pad:
        # torch's ceil_mode has Caffe's size rule (incl. trimming a last window
        # that starts in the padding) and clips windows the same way; it differs
        # only for pad 0 with stride > kernel, which takes the explicit path.
        head = geo.pads[:nd]
        if all(2 * head[i] <= k[i] and (head[i] > 0 or st[i] <= k[i]) for i in range(nd)):
            if kind == "max":
                return _MAX[nd](x, k, st, head, ceil_mode=True)
            return _AVG[nd](x, k, st, head, ceil_mode=True, count_include_pad=False)
    if kind == "max":
        if sym and all(pads[i] * 2 <= k[i] for i in range(nd)):
            return _MAX[nd](x, k, st, pads[:nd])
        return _MAX[nd](F.pad(x, torch_pad_list(pads, nd), value=float("-inf")), k, st)
    src = x if kind == "avg" else x.abs().pow(s.p)
    if any(pads):
        src = F.pad(src, torch_pad_list(pads, nd))
    mean = _AVG[nd](src, k, st)
    if kind == "avg":
        if s.count_include_pad or not any(pads):
            return mean
        factor = _count_factor(s, spatial, outs, pads, k, st, nd, x)
        return mean * factor
    window = math.prod(k)
    total = mean * window
    return total.pow(1.0 / s.p)


def _count_factor(s, spatial, outs, pads, k, st, nd, x):
    key = (spatial, x.device, x.dtype)
    f = s.counts.get(key)
    if f is None:
        counts = _window_counts(spatial, outs, pads, k, st, nd)
        f = torch.from_numpy((math.prod(k) / counts).astype(np.float32)).to(device=x.device, dtype=x.dtype)
        s.counts[key] = f
    return f


register("MaxPool", "MaxPool1D", "MaxPool2D", "MaxPool3D", prepare=_prepare("max"))(_pool)
register("AveragePool", "AveragePool1D", "AveragePool2D", "AveragePool3D", prepare=_prepare("avg"))(_pool)
register("LpPool", prepare=_prepare("lp"))(_pool)
