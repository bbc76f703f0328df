"""Normalisations (caffe2/operators/spatial_batch_norm_op.h, lrn_op.cc,
instance_norm_op.cc, layer_norm_op.cc).

- SpatialBN(X, scale, bias, mean, var) -> Y, inference form (the executor
  always uses the running statistics, as `is_test=1` does):
  Y = (X - mean) / sqrt(var + epsilon) · scale + bias per channel
  (axis 1, or the last axis for `order`=NHWC); `epsilon` 1e-5.
- LRN(X) -> Y[, scale] across channels: scale = bias + alpha/size ·
  Σ x² over channels [c - (size-1)/2, c - (size-1)/2 + size), zeros outside;
  Y = X · scale^-beta. Defaults: bias 1, alpha 0, beta 0.
- InstanceNorm(X, scale, bias) -> Y[, mean, inv_stdev]: per sample and
  channel over the spatial axes, biased variance, `epsilon` 1e-5.
- LayerNorm(X[, gamma, beta]) -> Y, mean, std: statistics over the axes from
  `axis` (default 1) on; mean/std have shape X.shape[:axis] + [1];
  std = sqrt(var + epsilon); `elementwise_affine=1` applies gamma/beta
  (shape X.shape[axis:]).
- AffineChannel(X, scale, bias) -> Y = X · scale + bias per channel (axis 1,
  or the last axis for NHWC): Detectron's frozen batch norm.
- GroupNorm(X, gamma, beta) -> Y[, mean, inv_sigma] (group_norm_op.cc):
  channels split into `group` groups; per sample and group, mean and biased
  variance over the group's channels and the spatial axes;
  Y = (X - mean) / sqrt(var + epsilon) · gamma + beta per channel;
  mean and inv_sigma have shape [N, group].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .registry import register


class _BNState:
    __slots__ = ("eps", "nhwc", "a", "c", "shaped")


def _bn_prep(ctx):
    s = _BNState()
    s.eps = ctx.args.float("epsilon")
    s.nhwc = ctx.args.str("order").upper() == "NHWC"
    s.a = s.c = None
    s.shaped = {}
    c = ctx.consts
    if len(c) >= 5 and all(t is not None for t in c[1:5]):
        s.a, s.c = _bn_affine(c[1], c[2], c[3], c[4], s.eps)
    return s


def _bn_affine(scale, bias, mean, var, eps):
    a = scale / torch.sqrt(var + eps)
    return a, bias - mean * a


@register("SpatialBN", prepare=_bn_prep)
def spatial_bn(ctx, x, scale, bias, mean, var):
    s = ctx.state
    nd = x.dim()
    hit = s.shaped.get(nd) if s.a is not None else None
    if hit is None:
        a, c = (s.a, s.c) if s.a is not None else _bn_affine(scale, bias, mean, var, s.eps)
        shape = (-1,) if s.nhwc or nd < 2 else (-1,) + (1,) * (nd - 2)
        hit = (a.reshape(shape), c.reshape(shape))
        if s.a is not None:
            s.shaped[nd] = hit
    return torch.addcmul(hit[1], x, hit[0])


def _lrn_prep(ctx):
    a = ctx.args
    size = a.int("size")
    if size <= 0:
        raise ValueError("LRN needs a positive 'size'")
    return (size, a.float("alpha"), a.float("beta"), a.float("bias"), a.str("order").upper() == "NHWC", len(ctx.op.output))


@register("LRN", prepare=_lrn_prep)
def lrn(ctx, x):
    size, alpha, beta, bias, nhwc, nout = ctx.state
    if nhwc:
        x = x.movedim(-1, 1)
    pre = (size - 1) // 2
    sq = (x * x).unsqueeze(1)  # [N, 1, C, ...]
    pad = [0, 0] * (x.dim() - 2) + [pre, size - 1 - pre]
    sq = F.pad(sq, pad)
    flat = sq.reshape(sq.shape[0], 1, sq.shape[2], -1)
    mean = F.avg_pool2d(flat, (size, 1), stride=1).reshape(x.shape)
    scale = mean * alpha + bias
    y = x * scale.pow(-beta)
    if nhwc:
        y, scale = y.movedim(1, -1), scale.movedim(1, -1)
    return (y, scale) if nout > 1 else y


def _in_prep(ctx):
    return ctx.args.float("epsilon"), ctx.args.str("order").upper() == "NHWC", len(ctx.op.output)


@register("InstanceNorm", prepare=_in_prep)
def instance_norm(ctx, x, scale, bias):
    eps, nhwc, nout = ctx.state
    if nhwc:
        x = x.movedim(-1, 1)
    dims = tuple(range(2, x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = (x - mean).square().mean(dim=dims, keepdim=True)
    inv = torch.rsqrt(var + eps)
    shape = (1, -1) + (1,) * (x.dim() - 2)
    y = (x - mean) * inv * scale.reshape(shape) + bias.reshape(shape)
    if nhwc:
        y = y.movedim(1, -1)
    if nout == 1:
        return y
    n, c = x.shape[:2]
    return (y, mean.reshape(n, c), inv.reshape(n, c))


def _nhwc(ctx):
    return ctx.args.str("order").upper() == "NHWC"


@register("AffineChannel", prepare=_nhwc)
def affine_channel(ctx, x, scale, bias):
    shape = (-1,) if ctx.state else (1, -1) + (1,) * (x.dim() - 2)
    return x * scale.reshape(shape) + bias.reshape(shape)


def _gn_prep(ctx):
    return ctx.args.int("group"), ctx.args.float("epsilon"), _nhwc(ctx), len(ctx.op.output)


@register("GroupNorm", prepare=_gn_prep)
def group_norm(ctx, x, gamma, beta):
    g, eps, nhwc, nout = ctx.state
    if nhwc:
        x = x.movedim(-1, 1)
    n, c = x.shape[:2]
    if g <= 0 or c % g:
        raise ValueError(f"{ctx.where}: {c} channels do not split into {g} groups")
    xg = x.reshape(n, g, -1)
    mean = xg.mean(dim=2, keepdim=True)
    inv = torch.rsqrt((xg - mean).square().mean(dim=2, keepdim=True) + eps)
    shape = (1, -1) + (1,) * (x.dim() - 2)
    y = ((xg - mean) * inv).reshape(x.shape) * gamma.reshape(shape) + beta.reshape(shape)
    if nhwc:
        y = y.movedim(1, -1)
    if nout == 1:
        return y
    return (y, mean.reshape(n, g), inv.reshape(n, g))


def _ln_prep(ctx):
    a = ctx.args
    return a.int("axis"), a.float("epsilon"), bool(a.int("elementwise_affine"))


@register("LayerNorm", prepare=_ln_prep)
def layer_norm(ctx, x, gamma=None, beta=None):
    axis, eps, affine = ctx.state
    axis = axis % x.dim()
    dims = tuple(range(axis, x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = (x - mean).square().mean(dim=dims, keepdim=True)
    std = torch.sqrt(var + eps)
    y = (x - mean) / std
    if affine and gamma is not None:
        y = y * gamma + beta
    stat_shape = tuple(x.shape[:axis]) + (1,)
    return (y, mean.reshape(stat_shape), std.reshape(stat_shape))
