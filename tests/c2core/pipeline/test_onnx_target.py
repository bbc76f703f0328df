"""pipeline.to_onnx: one report, the source's model.json published beside the artifact."""

from __future__ import annotations

import json
import os

import numpy as np

from c2core import pipeline
from c2core.backends import ModelSource
from c2core.io.save import save_model
from tests.references.tiny_classifier import tiny_classifier, tiny_classifier_logits


def test_onnx_report_and_sidecar_beside_the_artifact(tmp_path):
    import onnxruntime as ort

    m, w = tiny_classifier(softmax=False)
    src = tmp_path / "src"
    save_model(m, str(src))
    (src / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 8, 8]]}))
    side = {"preprocessing": "torchvision", "labels": "names.txt"}
    (src / "model.json").write_text(json.dumps(side))
    (src / "names.txt").write_text("a\nb\nc\nd\ne\n")
    out = tmp_path / "out" / "m.onnx"
    rep = pipeline.to_onnx(str(src), str(out))
    assert rep.target == "onnx" and rep.ok and rep.written and rep.parity.ok
    assert rep.outputs == [str(out), str(out.parent / "names.txt"), str(out.parent / "model.json")]
    assert sorted(os.listdir(out.parent)) == ["m.onnx", "model.json", "names.txt"]
    assert set(rep.seconds) == {"export", "parity", "publish"}
    assert rep.summary()["verify"]["outputs"][0]["name"] == "fc"
    assert ModelSource.open(str(out)).sidecar() == side
    x = np.random.default_rng(5).standard_normal((1, 3, 8, 8)).astype(np.float32)
    (y,) = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"data": x})
    np.testing.assert_allclose(y, tiny_classifier_logits(x, w), rtol=1e-4, atol=1e-5)

    # a folder that already holds another model's model.json keeps it
    other = tmp_path / "other"
    other.mkdir()
    (other / "model.json").write_text(json.dumps({"preprocessing": "inception"}))
    rep = pipeline.to_onnx(str(src), str(other / "m.onnx"))
    assert "kept the model.json" in rep.details["sidecar"]
    assert json.loads((other / "model.json").read_text()) == {"preprocessing": "inception"}
    assert sorted(os.listdir(other)) == ["m.onnx", "model.json"]
