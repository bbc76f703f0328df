"""Loss and metric rules (training nets and evaluation nets)."""

from __future__ import annotations

from .info import BlobInfo
from .registry import register, same


@register("LabelCrossEntropy", "CrossEntropy", "SquaredL2Distance", "DotProduct")
def per_row(ctx):
    return [BlobInfo((ctx.shape(0)[0],), ctx.dtype(0))]


@register("AveragedLoss", "SmoothL1Loss")
def scalar_loss(ctx):
    return [BlobInfo((), ctx.dtype(0))]


@register("Accuracy")
def accuracy(ctx):
    return [BlobInfo((), "float32")]


@register("SoftmaxWithLoss")
def softmax_with_loss(ctx):
    return [same(ctx), BlobInfo((), ctx.dtype(0))]


@register("SigmoidCrossEntropyWithLogits")
def sigmoid_xent(ctx):
    return [BlobInfo(tuple(ctx.shape(0)[:-1]), ctx.dtype(0))]
