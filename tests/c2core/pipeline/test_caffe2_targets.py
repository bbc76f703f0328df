"""The pipeline's Caffe2 targets: import ONNX and save a model, each one all-or-nothing publish."""

from __future__ import annotations

import os

import numpy as np
import pytest

from c2core import pipeline
from c2core.errors import Cancelled
from c2core.io import open_model
from c2core.tasks import CancelToken
from tests.references.tiny_classifier import tiny_classifier, tiny_classifier_logits


def _weightless_onnx(path):
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_import_of_a_model_without_weights_writes_no_empty_init_net(tmp_path):
    _weightless_onnx(tmp_path / "relu.onnx")
    out = tmp_path / "out"
    out.mkdir()
    (out / "init_net.pb").write_bytes(b"an old model's weights")  # must not pair with the new predict net
    rep = pipeline.import_onnx_model(str(tmp_path / "relu.onnx"), str(out))
    assert sorted(os.listdir(out)) == ["predict_net.pb", "value_info.json"]
    assert rep.outputs == [str(out / "predict_net.pb"), str(out / "value_info.json")] and rep.details["ops"] == 1
    m = open_model(str(out))  # opens (an empty init_net.pb was refused as "not a NetDef")
    from c2core.runtime import Predictor

    x = np.array([[-1.0, 0.5, 2.0]], np.float32)
    np.testing.assert_array_equal(Predictor(m).run({"x": x})["y"], np.maximum(x, 0))


def test_save_caffe2_keeps_other_files_and_a_cancelled_save_creates_nothing(tmp_path):
    m, w = tiny_classifier()
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "model.json").write_text("{}")
    rep = pipeline.save_caffe2(m, str(folder))
    assert sorted(os.listdir(folder)) == ["init_net.pb", "model.json", "predict_net.pb"]
    assert rep.outputs == [str(folder / "predict_net.pb"), str(folder / "init_net.pb")]
    from c2core.runtime import Predictor

    x = np.random.default_rng(3).standard_normal((1, 3, 8, 8)).astype(np.float32)
    got = Predictor(open_model(str(folder))).run({"data": x})["prob"]
    logits = tiny_classifier_logits(x, w)
    e = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)

    tok = CancelToken()
    tok.cancel()
    with pytest.raises(Cancelled):
        pipeline.save_caffe2(m, str(tmp_path / "new"), cancel=tok)
    assert sorted(os.listdir(tmp_path)) == ["saved"]  # no folder, no staging left behind
