"""The zoo predict nets of ../shared/corpus run end to end with generated
weights (small widths: tests/zoo_weights.py): softmax outputs are probability rows, folding
BN / scale ops changes nothing beyond float rounding (1e-4), and every
blob's shape agrees with c2core.shapes' static inference where it exists."""

import time

import numpy as np
import pytest

from c2core.builder import model_from
from c2core.io import open_model
from c2core.runtime import Predictor
from tests.zoo_weights import small_weights

NETS = ["bvlc_alexnet", "resnet50", "inception_v1", "densenet121", "vgg19"]


@pytest.fixture(scope="module")
def zoo(corpus_dir):
    cache = {}

    def get(name):
        if name not in cache:
            m = open_model(str(corpus_dir / name / "predict_net.pbtxt"), value_info=str(corpus_dir / name / "value_info.json"), structure_only=True)
            (inp,) = m.data_inputs
            shape = tuple(m.value_info[inp][1])
            x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
            w = small_weights(m.predict_net, {inp: x})
            model = model_from(m.predict_net, w)
            model.value_info = dict(m.value_info)
            cache[name] = (model, inp, x)
        return cache[name]

    return get


@pytest.mark.parametrize("name", NETS)
@pytest.mark.perf  # asserts wall-clock time
def test_zoo_net_runs_and_folding_is_exact(zoo, name):
    model, inp, x = zoo(name)
    t0 = time.perf_counter()
    folded = Predictor(model)
    out = folded.run({inp: x})
    (oname,) = model.external_outputs
    y = out[oname]
    plain = Predictor(model, fold=False).run({inp: x})[oname]
    np.testing.assert_allclose(y, plain, rtol=1e-4, atol=1e-4)
    if name != "densenet121":  # densenet ends in a conv, not a softmax
        assert y.shape == (1, 16)
        np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    if name in ("resnet50", "densenet121"):
        assert folded.fold_log, "BN/scale ops should fold"
    assert time.perf_counter() - t0 < 60


@pytest.mark.parametrize("name", ["bvlc_alexnet", "inception_v1", "resnet50"])
def test_zoo_blob_shapes_match_static_inference(zoo, name):
    shapes = pytest.importorskip("c2core.shapes")
    model, inp, x = zoo(name)
    blobs = Predictor(model, fold=False).run({inp: x}, fetch_all=True)
    infos = shapes.infer_shapes(model)
    checked = 0
    for n, a in blobs.items():
        info = infos.get(n)
        if info is None or info.shape is None or any(d is None or d < 0 for d in info.shape):
            continue
        assert tuple(a.shape) == tuple(info.shape), n
        checked += 1
    assert checked > 10
