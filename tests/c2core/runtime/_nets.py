"""Small Caffe2 nets built in code, each with an independent eager-torch
reference written directly with torch.nn.functional (not through c2core).

Each builder returns (model, reference) where reference(x: np.ndarray) ->
np.ndarray gives the expected final output.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from c2core.builder import NetBuilder, model_from


class _W:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.d = {}

    def conv(self, name, cout, cin, k):
        self.d[name + "_w"] = (self.rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        self.d[name + "_b"] = (self.rng.standard_normal(cout) * 0.1).astype(np.float32)

    def bn(self, name, c):
        r = self.rng
        self.d[name + "_s"] = (r.random(c) + 0.5).astype(np.float32)
        self.d[name + "_bias"] = (r.standard_normal(c) * 0.1).astype(np.float32)
        self.d[name + "_rm"] = (r.standard_normal(c) * 0.1).astype(np.float32)
        self.d[name + "_riv"] = (r.random(c) + 0.5).astype(np.float32)

    def t(self, name):
        return torch.from_numpy(self.d[name]).double()


def squeeze_like(seed=0):
    """SqueezeNet-style: conv/relu, Caffe ceil-mode pools (legacy_pad=3), Fire
    modules (squeeze 1x1, expand 1x1 + 3x3, Concat), Dropout, conv classifier,
    global average pool, Softmax."""
    w = _W(seed)
    b = NetBuilder("squeeze_like")
    b.inputs("data")
    w.conv("conv1", 16, 3, 3)
    b.op("Conv", ["data", "conv1_w", "conv1_b"], "conv1", kernel=3, stride=2)
    b.op("Relu", "conv1", "conv1")
    b.op("MaxPool", "conv1", "pool1", kernel=3, stride=2, legacy_pad=3)
    cin = 16
    fires = [("fire2", 8, 16), ("fire3", 8, 16)]
    prev = "pool1"
    for name, s, e in fires:
        w.conv(name + "_sq", s, cin, 1)
        w.conv(name + "_e1", e, s, 1)
        w.conv(name + "_e3", e, s, 3)
        b.op("Conv", [prev, name + "_sq_w", name + "_sq_b"], name + "_sq", kernel=1)
        b.op("Relu", name + "_sq", name + "_sq")
        b.op("Conv", [name + "_sq", name + "_e1_w", name + "_e1_b"], name + "_e1", kernel=1)
        b.op("Relu", name + "_e1", name + "_e1")
        b.op("Conv", [name + "_sq", name + "_e3_w", name + "_e3_b"], name + "_e3", kernel=3, pad=1)
        b.op("Relu", name + "_e3", name + "_e3")
        b.op("Concat", [name + "_e1", name + "_e3"], [name + "_cat", name + "_info"], axis=1)
        prev, cin = name + "_cat", 2 * e
    b.op("MaxPool", prev, "pool3", kernel=3, stride=2, legacy_pad=3)
    b.op("Dropout", "pool3", ["drop", "drop_mask"], ratio=0.5, is_test=1)
    w.conv("conv10", 10, cin, 1)
    b.op("Conv", ["drop", "conv10_w", "conv10_b"], "conv10", kernel=1)
    b.op("Relu", "conv10", "conv10")
    b.op("AveragePool", "conv10", "pool10", global_pooling=1)
    b.op("Softmax", "pool10", "softmax")
    b.outputs("softmax")
    b.net.external_input.extend(w.d)
    model = model_from(b.net, w.d)

    def ref(x):
        with torch.no_grad():
            y = torch.from_numpy(x).double()
            y = F.relu(F.conv2d(y, w.t("conv1_w"), w.t("conv1_b"), stride=2))
            y = F.max_pool2d(y, 3, 2, ceil_mode=True)
            for name, _, _ in fires:
                sq = F.relu(F.conv2d(y, w.t(name + "_sq_w"), w.t(name + "_sq_b")))
                y = torch.cat([F.relu(F.conv2d(sq, w.t(name + "_e1_w"), w.t(name + "_e1_b"))),
                               F.relu(F.conv2d(sq, w.t(name + "_e3_w"), w.t(name + "_e3_b"), padding=1))], 1)
            y = F.max_pool2d(y, 3, 2, ceil_mode=True)
            y = F.relu(F.conv2d(y, w.t("conv10_w"), w.t("conv10_b")))
            y = y.mean(dim=(2, 3), keepdim=True)
            return torch.softmax(y.reshape(y.shape[0], -1), 1).reshape(y.shape).numpy()

    return model, ref


def resnet_like(seed=1):
    """ResNet-style: conv + SpatialBN + in-place Relu, max pool, two residual
    blocks joined with Sum (one with a strided 1x1 projection), global pool, FC,
    Softmax. Blob names are reused in place as in the zoo nets."""
    w = _W(seed)
    b = NetBuilder("resnet_like")
    b.inputs("gpu_0/data")

    def conv_bn(x, name, cout, cin, k, stride=1, pad=0, relu=True):
        w.conv(name, cout, cin, k)
        del w.d[name + "_b"]
        w.bn(name + "_bn", cout)
        b.op("Conv", [x, name + "_w"], name, kernel=k, stride=stride, pad=pad)
        b.op("SpatialBN", [name, name + "_bn_s", name + "_bn_bias", name + "_bn_rm", name + "_bn_riv"], name + "_bn", is_test=1, epsilon=1e-5)
        if relu:
            b.op("Relu", name + "_bn", name + "_bn")
        return name + "_bn"

    y = conv_bn("gpu_0/data", "conv1", 8, 3, 7, 2, 3)
    b.op("MaxPool", y, "pool1", kernel=3, stride=2, pad=1)
    blocks = [("res2", 8, 8, 1), ("res3", 16, 8, 2)]
    x = "pool1"
    for name, cout, cin, stride in blocks:
        a = conv_bn(x, name + "_a", cout, cin, 3, stride, 1)
        c = conv_bn(a, name + "_b", cout, cout, 3, 1, 1, relu=False)
        sc = conv_bn(x, name + "_proj", cout, cin, 1, stride, 0, relu=False) if stride != 1 or cin != cout else x
        b.op("Sum", [c, sc], c)
        b.op("Relu", c, name + "_out")
        x = name + "_out"
    b.op("AveragePool", x, "pool5", kernel=4, stride=1)
    w.d["fc_w"] = (w.rng.standard_normal((5, 16)) * 0.3).astype(np.float32)
    w.d["fc_b"] = (w.rng.standard_normal(5) * 0.1).astype(np.float32)
    b.op("FC", ["pool5", "fc_w", "fc_b"], "fc")
    b.op("Softmax", "fc", "softmax")
    b.outputs("softmax")
    b.net.external_input.extend(w.d)
    model = model_from(b.net, w.d)

    def ref(xin):
        def cbn(t, name, stride, pad, relu=True):
            t = F.conv2d(t, w.t(name + "_w"), None, stride=stride, padding=pad)
            t = F.batch_norm(t, w.t(name + "_bn_rm"), w.t(name + "_bn_riv"), w.t(name + "_bn_s"), w.t(name + "_bn_bias"), False, 0.0, 1e-5)
            return F.relu(t) if relu else t

        with torch.no_grad():
            t = cbn(torch.from_numpy(xin).double(), "conv1", 2, 3)
            t = F.max_pool2d(t, 3, 2, 1)
            for name, cout, cin, stride in blocks:
                a = cbn(t, name + "_a", stride, 1)
                c = cbn(a, name + "_b", 1, 1, relu=False)
                sc = cbn(t, name + "_proj", stride, 0, relu=False) if stride != 1 or cin != cout else t
                t = F.relu(c + sc)
            t = F.avg_pool2d(t, 4, 1)
            t = F.linear(t.reshape(t.shape[0], -1), w.t("fc_w"), w.t("fc_b"))
            return torch.softmax(t, 1).numpy()

    return model, ref


def caffe_scale_like(seed=2):
    """Caffe-translated style: Conv -> Mul(broadcast=1, axis=1) -> Add(broadcast=1,
    axis=1) -> Relu, then BN -> Mul -> Add (DenseNet), LRN, FC."""
    w = _W(seed)
    b = NetBuilder("caffe_scale_like")
    b.inputs("data")
    w.conv("conv1", 6, 3, 3)
    w.d["sc_w"] = (w.rng.random(6) + 0.5).astype(np.float32)
    w.d["sc_b"] = w.rng.standard_normal(6).astype(np.float32)
    b.op("Conv", ["data", "conv1_w", "conv1_b"], "conv1", kernel=3, pad=1)
    b.op("Mul", ["conv1", "sc_w"], "conv1_internal", broadcast=1, axis=1)
    b.op("Add", ["conv1_internal", "sc_b"], "conv1", broadcast=1, axis=1)
    b.op("Relu", "conv1", "conv1")
    w.bn("bn2", 6)
    w.d["bn2_w"] = (w.rng.random(6) + 0.5).astype(np.float32)
    w.d["bn2_b"] = w.rng.standard_normal(6).astype(np.float32)
    b.op("SpatialBN", ["conv1", "bn2_s", "bn2_bias", "bn2_rm", "bn2_riv"], "bn2", is_test=1)
    b.op("Mul", ["bn2", "bn2_w"], "bn2_internal", broadcast=1, axis=1)
    b.op("Add", ["bn2_internal", "bn2_b"], "bn2", broadcast=1, axis=1)
    b.op("LRN", "bn2", "norm", size=5, alpha=1e-4, beta=0.75)
    w.d["fc_w"] = (w.rng.standard_normal((4, 6 * 8 * 8)) * 0.05).astype(np.float32)
    w.d["fc_b"] = np.zeros(4, np.float32)
    b.op("FC", ["norm", "fc_w", "fc_b"], "fc")
    b.outputs("fc")
    b.net.external_input.extend(w.d)
    model = model_from(b.net, w.d)

    def ref(x):
        with torch.no_grad():
            t = F.conv2d(torch.from_numpy(x).double(), w.t("conv1_w"), w.t("conv1_b"), padding=1)
            t = F.relu(t * w.t("sc_w").reshape(1, -1, 1, 1) + w.t("sc_b").reshape(1, -1, 1, 1))
            t = F.batch_norm(t, w.t("bn2_rm"), w.t("bn2_riv"), w.t("bn2_s"), w.t("bn2_bias"), False, 0.0, 1e-5)
            t = t * w.t("bn2_w").reshape(1, -1, 1, 1) + w.t("bn2_b").reshape(1, -1, 1, 1)
            t = F.local_response_norm(t, 5, alpha=1e-4, beta=0.75, k=1.0)
            return F.linear(t.reshape(t.shape[0], -1), w.t("fc_w"), w.t("fc_b")).numpy()

    return model, ref
