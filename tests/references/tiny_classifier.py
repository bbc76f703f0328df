"""A tiny Caffe2 classifier (Conv3x3 pad 1 -> Relu -> global AveragePool -> FC [-> Softmax])
and its NumPy formula, for tests of the deploy, compare and CLI paths that need a
real Caffe2 model but not a big one."""

from __future__ import annotations

import numpy as np


def tiny_classifier(batch=1, channels=4, classes=5, softmax=True, seed=0):
    """A `Model` with value_info (`data` [batch, 3, 8, 8]); returns (model, weights)."""
    from c2core.builder import NetBuilder, model_from

    rng = np.random.default_rng(seed)
    nb = NetBuilder("tiny").inputs("data", "conv_w", "conv_b", "fc_w", "fc_b").outputs("prob" if softmax else "fc")
    nb.op("Conv", ["data", "conv_w", "conv_b"], "conv", kernel=3, pad=1)
    nb.op("Relu", "conv", "relu")
    nb.op("AveragePool", "relu", "pool", global_pooling=1)
    nb.op("FC", ["pool", "fc_w", "fc_b"], "fc")
    if softmax:
        nb.op("Softmax", "fc", "prob")
    w = dict(conv_w=(rng.standard_normal((channels, 3, 3, 3)) * 0.5).astype(np.float32),
             conv_b=rng.standard_normal(channels).astype(np.float32),
             fc_w=rng.standard_normal((classes, channels)).astype(np.float32),
             fc_b=rng.standard_normal(classes).astype(np.float32))
    m = model_from(nb.net, w)
    m.value_info = {"data": (1, [batch, 3, 8, 8])}
    return m, w


def tiny_classifier_logits(x, w):
    """NumPy, float64: conv3x3 pad 1 + bias, relu, mean over H and W, FC (the model's `fc`)."""
    _, _, h, wd = x.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = sum(np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w["conv_w"][:, :, i, j])
            for i in range(3) for j in range(3)) + w["conv_b"][None, :, None, None]
    return np.maximum(y, 0).mean(axis=(2, 3)) @ w["fc_w"].T + w["fc_b"]
