"""Small synthetic Caffe2 pairs written to disk, shared by the io tests."""

import numpy as np


from c2core.builder import NetBuilder, init_net_from
from c2core.io.save import save_net


def tiny_predict(name="tiny"):
    """data -> Conv(w, b) -> Relu (in place) -> FC(fc_w, fc_b) -> prob."""
    b = NetBuilder(name)
    b.op("Conv", ["data", "conv_w", "conv_b"], "conv", kernel=3, pad=1)
    b.op("Relu", "conv", "conv")
    b.op("FC", ["conv", "fc_w", "fc_b"], "fc")
    b.op("Softmax", "fc", "prob")
    b.inputs("data", "conv_w", "conv_b", "fc_w", "fc_b").outputs("prob")
    return b.net


def tiny_weights():
    rng = np.random.default_rng(1)
    return {
        "conv_w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "conv_b": rng.standard_normal(4).astype(np.float32),
        "fc_w": rng.standard_normal((10, 4 * 8 * 8)).astype(np.float32),
        "fc_b": np.zeros(10, np.float32),
    }


def write_pair(folder, predict_name="predict_net.pb", init_name="init_net.pb", predict=None, weights=None):
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / predict_name
    i = folder / init_name
    save_net(predict if predict is not None else tiny_predict(), str(p))
    save_net(init_net_from(weights if weights is not None else tiny_weights()), str(i))
    return p, i


