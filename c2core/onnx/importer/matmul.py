"""Gemm and MatMul: FC where the weight is constant and 2-D, else MatMul/BatchMatMul."""

from __future__ import annotations

import numpy as np

from .registry import register


@register("Gemm", emits=("Add", "FC", "MatMul", "Scale"))
def gemm(ctx, node, a):
    A, B = node.input[0], node.input[1]
    C = node.input[2] if len(node.input) > 2 else ""
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    ta, tb = int(a.get("transA", 0)), int(a.get("transB", 0))
    out = node.output[0]
    Bc = ctx.const(B)
    if not ta and Bc is not None:
        W = Bc if tb else Bc.T
        n = W.shape[0]
        if alpha != 1.0:
            W = (W * alpha).astype(Bc.dtype)
        w = ctx.blob(B) if (tb and alpha == 1.0) else ctx.add_weight(B + ("_scaled" if tb else "_t"), W)
        Cc = ctx.const(C)
        bias_ok = Cc is not None and (Cc.ndim == 0 or Cc.shape in ((n,), (1, n), (1,), (1, 1)))
        if bias_ok:
            bias = np.broadcast_to(Cc.reshape(-1) * beta, (n,)).astype(np.float32)
            if beta == 1.0 and Cc.shape == (n,):
                b = ctx.blob(C)
            else:
                b = ctx.add_weight((C or out) + "_bias", bias)
            ctx.emit("FC", [ctx.blob(A), w, b], out)
            return
        zero = ctx.add_weight(out + "_zero_bias", np.zeros((n,), np.float32))
        if not C:
            ctx.emit("FC", [ctx.blob(A), w, zero], out)
            return
        prod = ctx.fresh(out + "_ab")
        ctx.emit("FC", [ctx.blob(A), w, zero], prod)
    else:
        prod = ctx.fresh(out + "_ab") if (C or alpha != 1.0) else out
        ctx.emit("MatMul", [ctx.blob(A), ctx.blob(B)], prod, trans_a=ta, trans_b=tb)
        if alpha != 1.0:
            scaled = ctx.fresh(out + "_alpha") if C else out
            ctx.emit("Scale", [prod], scaled, scale=alpha)
            prod = scaled
        if not C:
            return
    c = ctx.blob(C, like=A)
    if beta != 1.0:
        cs = ctx.fresh(out + "_beta_c")
        ctx.emit("Scale", [c], cs, scale=beta)
        c = cs
    ctx.emit("Add", [prod, c], out)


@register("MatMul", emits=("BatchMatMul", "FC", "MatMul"))
def matmul(ctx, node, a):
    A, B = node.input
    Bc = ctx.const(B)
    ra = ctx.rank(A, node)
    if Bc is not None and Bc.ndim == 2:
        # X[..., K] · B[K, N]: Caffe2 FC flattens X at axis and keeps the leading dims.
        w = ctx.add_weight(B + "_t", np.ascontiguousarray(Bc.T))
        zero = ctx.add_weight(node.output[0] + "_zero_bias", np.zeros((Bc.shape[1],), Bc.dtype))
        ctx.emit("FC", [ctx.blob(A), w, zero], node.output[0], axis=ra - 1)
    elif ra == 2 and ctx.rank(B, node) == 2:
        ctx.emit("MatMul", [ctx.blob(A), ctx.blob(B)], node.output[0])
    else:
        ctx.emit("BatchMatMul", [ctx.blob(A), ctx.blob(B)], node.output[0], broadcast=1)


# ----- padding ------------------------------------------------------------------------
