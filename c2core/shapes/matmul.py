"""Matrix-product rules: FC, FCTransposed, MatMul, BatchMatMul.

FC flattens X at `axis` (Y = X.shape[:axis] + [N]) and W at `axis_w`:
N = prod(W.shape[:axis_w]) for FC (W is N x K), prod(W.shape[axis_w:]) for
FCTransposed (W is K x N). Caffe-translated nets use 4-D W [1, 1, N, K] with
axis_w=3. Unknown W (structure-only nets) gives N = -1.
"""

from __future__ import annotations

from .info import BadNet, BlobInfo, canonical_axis, prod
from .registry import register


def fc_shape(ctx, transposed: bool) -> tuple:
    x = ctx.shape(0)
    axis = canonical_axis(ctx.i("axis"), len(x))
    w = ctx.maybe_shape(1)
    if w is None:
        b = ctx.maybe_shape(2)
        n = b[0] if b is not None and len(b) == 1 else -1
    else:
        aw = canonical_axis(ctx.i("axis_w"), len(w))
        n, k = (prod(w[aw:]), prod(w[:aw])) if transposed else (prod(w[:aw]), prod(w[aw:]))
        kx = prod(x[axis:])
        if kx >= 0 and k >= 0 and kx != k:
            raise BadNet(f"X has {kx} features per row, W expects {k}")
    return tuple(x[:axis]) + (n,)


@register("FC")
def fc(ctx):
    return [BlobInfo(fc_shape(ctx, False), ctx.dtype(0))]


@register("FCTransposed")
def fc_transposed(ctx):
    return [BlobInfo(fc_shape(ctx, True), ctx.dtype(0))]


@register("MatMul")
def matmul(ctx):
    a, b = ctx.shape(0), ctx.shape(1)
    ka = canonical_axis(ctx.i("axis_a"), len(a))
    kb = canonical_axis(ctx.i("axis_b"), len(b))
    a2 = (prod(a[:ka]), prod(a[ka:]))
    b2 = (prod(b[:kb]), prod(b[kb:]))
    m = a2[1] if ctx.i("trans_a") else a2[0]
    n = b2[0] if ctx.i("trans_b") else b2[1]
    return [BlobInfo((m, n), ctx.dtype(0))]


@register("BatchMatMul")
def batch_matmul(ctx):
    from .elementwise import broadcast_shapes

    a, b = list(ctx.shape(0)), list(ctx.shape(1))
    ta, tb = ctx.i("trans_a"), ctx.i("trans_b")
    if ctx.i("broadcast"):
        a1, b1 = len(a) == 1, len(b) == 1
        if a1:
            a = [1, a[0]]
        if b1:
            b = [b[0], 1]
        m = a[-1] if ta and not a1 else a[-2]
        n = b[-2] if tb and not b1 else b[-1]
        batch = broadcast_shapes(tuple(a[:-2]), tuple(b[:-2]))
        out = list(batch)
        if not a1:
            out.append(m)
        if not b1:
            out.append(n)
        return [BlobInfo(tuple(out), ctx.dtype(0))]
    if len(a) < 2 or len(a) != len(b):
        raise BadNet("BatchMatMul without broadcast needs equal ranks >= 2")
    m = a[-1] if ta else a[-2]
    n = b[-2] if tb else b[-1]
    return [BlobInfo(tuple(a[:-2]) + (m, n), ctx.dtype(0))]
