"""The bench's models (bench/executor.py) as whole-net tests: an eager torch
SqueezeNet 1.0 and an EfficientNet-B0-class net (depthwise convs, Swish,
squeeze-excite with broadcast Mul, BatchNorm) translated to Caffe2 ops must
give the eager module's output (float32 both sides; tolerance 1e-4 of the
output's magnitude). Small inputs keep it fast."""

import numpy as np
import pytest
import torch

from c2core.runtime import Predictor

bench = pytest.importorskip("bench.executor")


@pytest.mark.parametrize("kind,size", [("squeezenet", 99), ("efficientnet", 64)])
def test_translated_model_matches_eager_torch(kind, size):
    torch.manual_seed(0)
    module = bench._models()[kind](classes=20).eval()
    bench._randomise_bn(module)
    model, out = bench.to_caffe2(module)
    model.value_info = {}
    x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(np.float32)
    with torch.inference_mode():
        ref = module(torch.from_numpy(x)).numpy()
    types = {op.type for op in model.predict_net.op}
    if kind == "efficientnet":
        assert {"Swish", "Sigmoid", "Mul", "SpatialBN", "Add"} <= types
        assert any(op.type == "Conv" and any(a.name == "group" and a.i > 1 for a in op.arg) for op in model.predict_net.op)
    for fold in (True, False):
        y = Predictor(model, fold=fold).run({"data": x})[out]
        np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))
