"""BatchNormalization (inference form), InstanceNormalization, LRN."""

from __future__ import annotations


from .registry import register


def _check_bn(ctx, node, a):
    if a.get("training_mode"):
        return "BatchNormalization in training mode"
    return None


@register("BatchNormalization", emits=("SpatialBN",), check=_check_bn)
def batch_norm(ctx, node, a):
    ins = [ctx.blob(n) for n in node.input[:5]]
    ctx.emit("SpatialBN", ins, node.output[0], is_test=1, epsilon=float(a.get("epsilon", 1e-5)), order="NCHW")


# ----- matrix products --------------------------------------------------------------

@register("InstanceNormalization", emits=("InstanceNorm",))
def instance_norm(ctx, node, a):
    ctx.emit("InstanceNorm", [ctx.blob(n) for n in node.input[:3]], node.output[0], epsilon=float(a.get("epsilon", 1e-5)))


@register("LRN", emits=("LRN",))
def lrn(ctx, node, a):
    """Both divide alpha by size (Caffe2 lrn_op: alpha_over_size)."""
    ctx.emit("LRN", [ctx.blob(node.input[0])], node.output[0], size=int(a["size"]), alpha=float(a.get("alpha", 1e-4)),
             beta=float(a.get("beta", 0.75)), bias=float(a.get("bias", 1.0)))
