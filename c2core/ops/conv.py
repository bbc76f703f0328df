"""Conv and ConvTranspose (caffe2/operators/conv_op.h, conv_transpose_op.h).

Conv(X, W[, b]) -> Y. NCHW: X [N, C, *S], W [M, C/group, *K]; NHWC: X
[N, *S, C], W [M, *K, C/group]. The spatial rank comes from W (Conv1D,
Conv2D, Conv3D are aliases). Window arguments in every spelling and
`legacy_pad` are handled by `_geometry`; unequal head/tail pads are applied
with an explicit zero pad. Y = sum over the window of X * W (+ b per output
channel), with `group` channel groups and `dilation`.

ConvTranspose(X, W[, b]) -> Y. NCHW: W [C, M/group, *K]; NHWC: W
[C, *K, M/group]. out = (in - 1) * stride + kernel + adj - pad_head -
pad_tail, where `adj` (`adjs`, `adj_h`/`adj_w`, 0 <= adj <= stride) adds
rows at the tail. `legacy_pad` VALID/SAME zero the pads; `dilation` is
ignored, as Caffe2 ignores it (see c2core/conv_transpose_pads.py).

The runtime may attach an activation to a Conv (argument `__c2core_act`,
see c2core/runtime/fold.py); it is applied to Y in place right after the
convolution, while Y is hot in cache and without a new buffer.

On CPU, 2-D convs with constant float32 weights run through `_onednn`:
the weight is reordered into oneDNN's blocked format once, here at prepare
time, and Relu / Clip run as oneDNN post-ops (EfficientNet-Lite0, one
thread: 14.9 -> 13.2 ms per image). Other attached activations (Swish,
Sigmoid, Tanh) run in place after the oneDNN call.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..conv_transpose_pads import conv_transpose_pads, conv_transpose_size
from ..errors import C2RuntimeError
from ._geometry import NOTSET, parse_geometry, torch_pad_list
from .registry import register

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _to_nchw_perm(ndim):
    return (0, ndim - 1) + tuple(range(1, ndim - 1))


def _to_nhwc_perm(ndim):
    return (0,) + tuple(range(2, ndim)) + (1,)


class _ConvState:
    __slots__ = ("geo", "nd", "fn", "w", "b", "static_pad", "nhwc", "group", "in_perm", "out_perm", "const_w", "const_b", "act", "act_scalars", "post", "packed", "packed_post", "adj")


def _fill_operands(ctx, s, nd, fns, w):
    """The state Conv and ConvTranspose share: layout, group, the torch function
    for `nd` spatial axes, and the constant weight (moved to NCHW once) and bias.
    Returns the constant bias (None when it is fed at run time or absent)."""
    s.nd = nd
    s.nhwc = s.geo.nhwc
    s.group = ctx.args.int("group")
    s.fn = fns[nd]
    s.in_perm = _to_nchw_perm(nd + 2)
    s.out_perm = _to_nhwc_perm(nd + 2)
    s.const_w = w is not None
    if w is not None:
        s.w = w.permute(*s.in_perm).contiguous() if s.nhwc else w
    b = ctx.consts[2] if len(ctx.consts) > 2 else None
    s.const_b = b is not None
    s.b = b
    return b


def _nchw_operands(s, x, w, b):
    """X, W and b as the torch call takes them: constants from the state, NHWC
    tensors seen as NCHW."""
    if s.const_w:
        w = s.w
    elif s.nhwc:
        w = w.permute(*s.in_perm)
    if s.const_b:
        b = s.b
    if s.nhwc:
        x = x.permute(*s.in_perm)
    return x, w, b


# activation name -> in-place torch form applied after an unfused convolution
_POST = {
    "relu": lambda y, s: y.relu_(),
    "swish": lambda y, s: F.silu(y, inplace=True),
    "sigmoid": lambda y, s: y.sigmoid_(),
    "tanh": lambda y, s: y.tanh_(),
    "hardtanh": lambda y, s: y.clamp_(s[0], s[1]),
}


def _prepare_conv(ctx):
    s = _ConvState()
    w = ctx.consts[1] if len(ctx.consts) > 1 else None
    nd = (w.dim() - 2) if w is not None else len(ctx.args.spatial("kernel", "kernels", 2, 1))
    if ctx.type in ("Conv1D", "Conv2D", "Conv3D"):
        nd = int(ctx.type[4])
    if nd not in _CONV:  # a 2-D (or 6-D) "filter", e.g. a weight filled twice in the init net
        raise C2RuntimeError(f"{ctx.where}: filter '{ctx.op.input[1]}' has shape {list(w.shape) if w is not None else '?'}: "
                             f"a convolution needs a filter of rank {min(_CONV) + 2} to {max(_CONV) + 2} "
                             f"(M, C/group, k...)")
    s.geo = parse_geometry(ctx.args, nd)
    b = _fill_operands(ctx, s, nd, _CONV, w)
    if w is not None:
        s.geo.kernel = list(s.w.shape[2:])
    pads = s.geo.pads
    sym = pads[:nd] == pads[nd:]
    s.static_pad = tuple(pads[:nd]) if (s.geo.legacy == NOTSET and sym and not s.geo.global_pooling) else None
    s.act = ctx.args.str("__c2core_act", "") or None
    s.act_scalars = ctx.args.floats("__c2core_act_scalars", []) or []
    if s.act is not None and s.act not in _POST:
        raise ValueError(f"unknown fused activation '{s.act}'")
    s.post = _POST.get(s.act)
    s.packed_post = s.post
    s.packed = _packed(ctx, s, w, b)
    return s


# activations oneDNN applies as a post-op (measured no slower than in place)
_ONEDNN_ACTS = (None, "relu", "hardtanh")


def _packed(ctx, s, w, b):
    """A `_onednn.PackedConv` for this conv when it can take that path, else None."""
    dev = torch.device(ctx.device) if not isinstance(ctx.device, torch.device) else ctx.device
    if dev.type != "cpu" or s.nd != 2 or w is None or w.dtype != torch.float32 or (b is None and len(ctx.op.input) > 2):
        return None
    if s.geo.legacy != NOTSET or s.geo.global_pooling or (b is not None and b.dtype != torch.float32):
        return None
    from . import _onednn

    if not _onednn.available():
        return None
    act = s.act if s.act in _ONEDNN_ACTS else None
    try:
        packed = _onednn.PackedConv(s.w, b, s.geo.pads, s.geo.stride, s.geo.dilation, s.group, act, s.act_scalars)
    except Exception:  # a shape oneDNN refuses: the generic path handles it (and reports errors)
        return None
    if act is not None:
        s.packed_post = None  # applied by oneDNN
    return packed


def _conv(ctx, x, w, b=None):
    s = ctx.state
    pk = s.packed
    if pk is not None and x.dtype == torch.float32:
        if s.nhwc:  # an NHWC tensor seen as NCHW is channels-last memory: no copy
            x = x.permute(*s.in_perm)
        y = pk(x)
        if s.packed_post is not None:
            y = s.packed_post(y, s.act_scalars)
        return y.permute(*s.out_perm) if s.nhwc else y
    x, w, b = _nchw_operands(s, x, w, b)
    if s.static_pad is not None:
        y = s.fn(x, w, b, s.geo.stride, s.static_pad, s.geo.dilation, s.group)
    else:
        if not s.const_w:
            s.geo.kernel = list(w.shape[2:])
        _, pads = s.geo.at(tuple(x.shape[2:]))
        nd = s.nd
        if pads[:nd] == pads[nd:]:
            y = s.fn(x, w, b, s.geo.stride, pads[:nd], s.geo.dilation, s.group)
        else:
            x = F.pad(x, torch_pad_list(pads, nd))
            y = s.fn(x, w, b, s.geo.stride, 0, s.geo.dilation, s.group)
    if s.post is not None:
        y = s.post(y, s.act_scalars)
    if s.nhwc:
        y = y.permute(*s.out_perm)
    return y


register("Conv", "Conv1D", "Conv2D", "Conv3D", prepare=_prepare_conv)(_conv)


def _prepare_convt(ctx):
    a = ctx.args
    s = _ConvState()
    w = ctx.consts[1] if len(ctx.consts) > 1 else None
    nd = (w.dim() - 2) if w is not None else 2
    s.geo = parse_geometry(a, nd)
    # Caffe2's ConvTransposeUnpoolBase rules (legacy_pad VALID/SAME -> zero pads,
    # 0 <= adj <= stride; dilation is never read, so it stays 1 here)
    s.geo.stride, s.geo.pads, s.adj = conv_transpose_pads(a, nd)
    s.geo.legacy = NOTSET
    s.geo.dilation = [1] * nd
    _fill_operands(ctx, s, nd, _CONVT, w)
    pads, adj = s.geo.pads, s.adj
    s.static_pad = tuple(pads[:nd]) if pads[:nd] == pads[nd:] and all(x < st for x, st in zip(adj, s.geo.stride)) else None
    return s


def _conv_transpose(ctx, x, w, b=None):
    s = ctx.state
    x, w, b = _nchw_operands(s, x, w, b)
    nd = s.nd
    if s.static_pad is not None:
        y = s.fn(x, w, b, s.geo.stride, s.static_pad, s.adj, s.group)
    else:
        # the undilated full scatter, zero-extended at the tail by adj, cropped by the pads
        full = s.fn(x, w, None, s.geo.stride, 0, 0, s.group)
        pads, adj = s.geo.pads, s.adj
        k = w.shape[2:]
        index = [slice(None), slice(None)]
        extra = []
        for i in range(nd):
            out = conv_transpose_size(x.shape[2 + i], k[i], s.geo.stride[i], adj[i], pads[i], pads[i + nd])
            index.append(slice(pads[i], pads[i] + out))
            extra.append(max(pads[i] + out - full.shape[2 + i], 0))
        if any(extra):
            pl = []
            for e in reversed(extra):
                pl += [0, e]
            full = F.pad(full, pl)
        y = full[tuple(index)]
        if b is not None:
            y = y + b.reshape((1, -1) + (1,) * nd)
    if s.nhwc:
        y = y.permute(*s.out_perm)
    return y


register("ConvTranspose", prepare=_prepare_convt)(_conv_transpose)
