"""Whole nets from the small builder against independent eager-torch
references in float64 (tolerance 1e-4 abs/rel on float32 results), with
and without folding."""

import numpy as np
import pytest

from c2core.runtime import Predictor
from tests.c2core.runtime._nets import caffe_scale_like, resnet_like, squeeze_like

rng = np.random.default_rng(10)


@pytest.mark.parametrize("fold,channels_last", [(True, None), (False, False), (True, False)])
def test_squeezenet_like(fold, channels_last):
    model, ref = squeeze_like()
    x = rng.standard_normal((2, 3, 39, 39)).astype(np.float32)
    p = Predictor(model, fold=fold, channels_last=channels_last)
    assert p.channels_last == (channels_last is None)  # automatic: on for CPU NCHW convs
    out = p.run({"data": x})
    assert out["softmax"].shape == (2, 10, 1, 1)
    np.testing.assert_allclose(out["softmax"], ref(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fold,channels_last", [(True, None), (False, None), (True, False)])
def test_resnet_like(fold, channels_last):
    model, ref = resnet_like()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    p = Predictor(model, fold=fold, channels_last=channels_last)
    np.testing.assert_allclose(p.run([x])["softmax"], ref(x), rtol=1e-4, atol=1e-5)
    if fold:
        assert sum("SpatialBN" in line for line in p.fold_log) == 6  # conv1, res2 a/b, res3 a/b/proj
        assert all(op.type != "SpatialBN" for op in p._plan_for(frozenset(), False).net.op)


@pytest.mark.parametrize("fold", [True, False])
def test_caffe_translated_scale_ops(fold):
    model, ref = caffe_scale_like()
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    p = Predictor(model, fold=fold)
    np.testing.assert_allclose(p.run({"data": x})["fc"], ref(x), rtol=1e-4, atol=1e-4)
    if fold:
        types = [op.type for op in p._plan_for(frozenset(), False).net.op]
        assert types == ["Conv", "SpatialBN", "LRN", "FC"], types  # Mul, Add folded, Relu fused


def test_fetching_a_folded_blob_disables_that_fold():
    model, ref = caffe_scale_like()
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    p = Predictor(model)
    out = p.run({"data": x}, fetch=["conv1_internal", "bn2_internal"])
    unfolded = Predictor(model, fold=False).run({"data": x}, fetch=["conv1_internal", "bn2_internal"])
    np.testing.assert_allclose(out["conv1_internal"], unfolded["conv1_internal"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["bn2_internal"], unfolded["bn2_internal"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["fc"], ref(x), rtol=1e-4, atol=1e-4)


def test_fetch_all_gives_last_values_of_in_place_blobs():
    model, ref = resnet_like()
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    p = Predictor(model)
    allb = p.run({"gpu_0/data": x}, fetch_all=True)
    assert "conv1_w" not in allb  # weights are not activations
    assert {"conv1", "conv1_bn", "pool1", "res3_out", "softmax"} <= set(allb)
    # conv1_bn was rewritten by an in-place Relu: its last value is non-negative
    assert allb["conv1_bn"].min() >= 0
    np.testing.assert_allclose(allb["softmax"], ref(x), rtol=1e-4, atol=1e-5)


def test_repeated_runs_are_independent_and_inputs_untouched():
    model, ref = resnet_like()
    p = Predictor(model)
    x1 = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    x2 = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    keep = x1.copy()
    a = p.run([x1])["softmax"]
    p.run([x2])
    np.testing.assert_array_equal(p.run([x1])["softmax"], a)
    np.testing.assert_array_equal(x1, keep)
