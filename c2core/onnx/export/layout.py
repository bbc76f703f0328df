"""NHWC support: ONNX conv/pool/norm ops are channel-first, so NHWC Caffe2 ops
are exported as Transpose(to NCHW) -> op -> Transpose(back)."""

from __future__ import annotations


def to_nchw(ctx, x: str) -> str:
    r = ctx.rank(x)
    return ctx.node1("Transpose", [x], perm=[0, r - 1] + list(range(1, r - 1)))


def to_nhwc(ctx, x: str, output=None) -> str:
    r = ctx.rank(x)
    return ctx.node1("Transpose", [x], output, perm=[0] + list(range(2, r)) + [1])


def order(args) -> str:
    o = args.str("order").upper()
    if o not in ("NCHW", "NHWC"):
        from ...errors import C2Error

        raise C2Error(f"unknown storage order '{o}'")
    return o
