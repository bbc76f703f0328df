"""A ConvTranspose dilation opens with a warning: Caffe2 ignores it."""

import numpy as np

from c2core.builder import NetBuilder, init_net_from
from c2core.io import open_model
from c2core.io.save import save_net


def _save(tmp_path, **args):
    b = NetBuilder("ct").inputs("x", "w").outputs("y")
    b.op("ConvTranspose", ["x", "w"], "y", kernel=3, stride=2, **args)
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    save_net(init_net_from({"w": np.zeros((2, 2, 3, 3), np.float32)}), str(tmp_path / "init_net.pb"))
    return open_model(str(tmp_path / "predict_net.pb"))


def test_dilated_conv_transpose_warns(tmp_path):
    m = _save(tmp_path, dilation=2)
    assert any("ConvTranspose op(s) #0 set a dilation" in w for w in m.warnings)


def test_plain_conv_transpose_does_not_warn(tmp_path):
    m = _save(tmp_path)
    assert not any("dilation" in w for w in m.warnings)


def test_rank_comes_from_the_filter(tmp_path):
    """A 1-D ConvTranspose with `dilations: [2]` is seen as dilated."""
    b = NetBuilder("ct1").inputs("x", "w").outputs("y")
    b.op("ConvTranspose", ["x", "w"], "y", kernels=[3], strides=[2], dilations=[2])
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    save_net(init_net_from({"w": np.zeros((2, 2, 3), np.float32)}), str(tmp_path / "init_net.pb"))
    m = open_model(str(tmp_path / "predict_net.pb"))
    assert any("set a dilation" in w for w in m.warnings)
