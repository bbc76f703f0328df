"""Classifier end to end on ONNX Runtime and OpenVINO against NumPy formulas."""

import json

import numpy as np
import pytest
from PIL import Image

from c2core.classify import Classifier, get_preset, top_k


def _photo(path, seed=0, size=(40, 30)):
    a = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(a).save(path)
    return str(path)


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
@pytest.mark.parametrize("ends_in_softmax", [False, True])
def test_classify_matches_reference(tmp_path, make_conv_net, conv_ref, backend, ends_in_softmax):
    model, w = make_conv_net(tmp_path / "m.onnx", classes=5, softmax=ends_in_softmax)
    labels = ["a", "b", "c", "d", "e"]
    (tmp_path / "model.json").write_text(json.dumps({"preprocessing": "caffe", "labels": labels}))
    imgs = [_photo(tmp_path / f"i{k}.png", seed=k) for k in range(3)]
    with Classifier(model, backend=backend) as clf:
        assert clf.preprocess.name == "caffe" and clf.preprocess.crop == 8  # fitted to the 8x8 input
        res = clf.classify_paths(imgs, top=3)
    pre = get_preset("caffe").for_input_size(8)
    for r, path in zip(res, imgs):
        x = pre.apply(Image.open(path).convert("RGB"))[None]
        probs = conv_ref(x, w, softmax=True)[0]  # probabilities whatever the model's last op
        expect = top_k(probs, 3, labels)
        assert [t["index"] for t in r["top"]] == [t["index"] for t in expect]
        np.testing.assert_allclose([t["score"] for t in r["top"]], [t["score"] for t in expect], rtol=1e-4, atol=1e-6)
        assert r["backend"] == backend and r["latency_ms"] >= 0 and r["image"] == path
        assert [t["label"] for t in r["top"]] == [t["label"] for t in expect]


def test_default_preset_is_announced(tmp_path, make_conv_net):
    model, _ = make_conv_net(tmp_path / "m.onnx")
    with Classifier(model, backend="onnxruntime") as clf:
        assert clf.preprocess.name == "torchvision"
        assert any("no preprocessing declared" in w for w in clf.warnings)


def test_explicit_preset_wins_over_sidecar(tmp_path, make_conv_net):
    model, _ = make_conv_net(tmp_path / "m.onnx")
    (tmp_path / "model.json").write_text(json.dumps({"preprocessing": "caffe"}))
    with Classifier(model, backend="onnxruntime", preset="caffe2-squeezenet") as clf:
        assert clf.preprocess.name == "caffe2-squeezenet" and clf.preprocess.color == "BGR"
