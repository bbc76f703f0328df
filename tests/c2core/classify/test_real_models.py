"""Classification with models as they are found: QNNPACK outputs (Int8Softmax ->
Int8Dequantize), 3-class heads, a PNet-like 4-D probability map, and the preset choice."""

import json

import numpy as np
import pytest
from PIL import Image

from c2core.builder import NetBuilder, init_net_from
from c2core.classify import Classifier, get_preset
from c2core.classify.topk import to_probabilities
from c2core.errors import C2Error
from c2core.io.save import save_net


def _pair(folder, net, weights):
    folder.mkdir(parents=True, exist_ok=True)
    save_net(net, str(folder / "predict_net.pb"))
    save_net(init_net_from(weights), str(folder / "init_net.pb"))
    return folder


def _photo(path, seed=0):
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(path)
    return str(path)


def _head(classes, rng):
    return {"fc_w": (rng.standard_normal((classes, 3)) * 2).astype(np.float32),
            "fc_b": rng.standard_normal(classes).astype(np.float32)}


def qnnpack_classifier(folder, classes=5):
    """data -> global AveragePool -> FC -> Int8Quantize -> Int8Softmax -> Int8Dequantize -> prob."""
    rng = np.random.default_rng(3)
    w = _head(classes, rng)
    b = NetBuilder("q")
    b.op("AveragePool", "data", "p", global_pooling=1)
    b.op("FC", ["p", "fc_w", "fc_b"], "fc")
    b.op("Int8Quantize", "fc", "fc_q", Y_scale=0.05, Y_zero_point=128)
    b.op("Int8Softmax", "fc_q", "prob_q", Y_scale=1.0 / 256, Y_zero_point=0)
    b.op("Int8Dequantize", "prob_q", "prob")
    b.inputs("data", "fc_w", "fc_b").outputs("prob")
    return _pair(folder, b.net, w), w


def _logits(x, w):
    return x.mean(axis=(2, 3)) @ w["fc_w"].T + w["fc_b"]


def test_int8_softmax_is_not_applied_twice(tmp_path):
    folder, w = qnnpack_classifier(tmp_path / "q")
    img = _photo(tmp_path / "i.png")
    with Classifier(str(folder), backend="c2", preset="torchvision", input_shapes=["1,3,16,16"]) as clf:
        assert clf.prepare() is None and clf._softmax is True  # found through Int8Dequantize
        res = clf.classify_paths([img], top=5)[0]
    x = get_preset("torchvision").for_input_size(16).apply(Image.open(img).convert("RGB"))[None]
    z = _logits(x.astype(np.float64), w)[0]
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    # QNNPACK output: multiples of 1/256, so within 2/256 of the float softmax (a second softmax would be ~uniform)
    got = np.array([t["score"] for t in sorted(res["top"], key=lambda t: t["index"])])
    np.testing.assert_allclose(got, p, atol=2.0 / 256)
    assert res["top"][0]["index"] == int(np.argmax(p))


def test_probabilities_decided_by_the_numbers():
    q = np.array([[0.996, 0.0039, 0.0001]], np.float32)  # quantised softmax rows need not sum to 1 exactly
    np.testing.assert_array_equal(to_probabilities(q, None), q)
    np.testing.assert_array_equal(to_probabilities(q, False), q)
    z = np.array([[2.0, 1.0, -1.0]], np.float32)
    e = np.exp(z - 2.0)
    np.testing.assert_allclose(to_probabilities(z, False), e / e.sum(), rtol=1e-6)


def _float_classifier(folder, classes, rng_seed=4, out4d=False):
    rng = np.random.default_rng(rng_seed)
    b = NetBuilder("f")
    if out4d:  # PNet-like: a 1x1 conv to 2 channels and a per-position softmax map
        w = {"cls_w": rng.standard_normal((2, 3, 1, 1)).astype(np.float32), "cls_b": np.zeros(2, np.float32)}
        b.op("Conv", ["data", "cls_w", "cls_b"], "cls", kernel=1)
        b.op("Softmax", "cls", "prob1")
        b.inputs("data", *w).outputs("prob1")
    else:
        w = _head(classes, rng)
        b.op("AveragePool", "data", "p", global_pooling=1)
        b.op("FC", ["p", "fc_w", "fc_b"], "fc")
        b.op("Softmax", "fc", "prob")
        b.inputs("data", *w).outputs("prob")
    return _pair(folder, b.net, w), w


def test_three_classes_get_numbered_labels_not_imagenet(tmp_path):
    folder, _ = _float_classifier(tmp_path / "three", 3)
    img = _photo(tmp_path / "i.png")
    with Classifier(str(folder), backend="c2", input_shapes=["1,3,8,8"]) as clf:
        res = clf.classify_paths([img], top=3)[0]
        assert sorted(t["label"] for t in res["top"]) == ["class 0", "class 1", "class 2"]
        assert any("3 classes, not ImageNet's 1000" in w and "--labels" in w for w in clf.warnings), clf.warnings
    labels = tmp_path / "l.txt"
    labels.write_text("red\ngreen\nblue\n")
    with Classifier(str(folder), backend="c2", labels=str(labels), input_shapes=["1,3,8,8"]) as clf:
        assert sorted(t["label"] for t in clf.classify_paths([img], top=3)[0]["top"]) == ["blue", "green", "red"]


@pytest.mark.parametrize("classes,first", [(1000, "tench"), (1001, "background")])
def test_imagenet_labels_only_for_1000_or_1001(classes, first):
    from c2core.classify import labels_for_classes

    warnings = []
    labels = labels_for_classes(classes, {}, None, None, warnings)
    assert len(labels) == classes and labels[0] == first and warnings == []


def test_a_probability_map_is_not_a_classifier(tmp_path):
    folder, _ = _float_classifier(tmp_path / "pnet", 2, out4d=True)
    img = _photo(tmp_path / "i.png")
    with Classifier(str(folder), backend="c2", input_shapes=["1,3,12,12"]) as clf:
        with pytest.raises(C2Error, match=r"output 'prob1' has shape \[1, 2, 12, 12\].*not an image classifier"):
            clf.classify_paths([img])


def test_default_preset_is_caffe2_aware_and_can_be_saved(tmp_path):
    import subprocess
    import sys

    folder, _ = _float_classifier(tmp_path / "m", 3)
    img = _photo(tmp_path / "i.png")
    with Classifier(str(folder), backend="c2") as clf:
        assert clf.preprocess.name == "caffe"
        (w,) = [w for w in clf.warnings if "no preprocessing declared" in w]
        assert "'caffe'" in w and "--preset" in w and "torchvision" in w
    assert not (folder / "model.json").exists()  # nothing written unless asked
    (folder / "model.json").write_text(json.dumps({"labels": ["a", "b", "c"]}))
    r = subprocess.run([sys.executable, "-m", "c2core.cli.main", "classify", str(folder), img, "--preset",
                        "caffe2-squeezenet", "--save-preset"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    data = json.loads((folder / "model.json").read_text())
    assert data["labels"] == ["a", "b", "c"] and data["preprocessing"]["name"] == "caffe2-squeezenet"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")] == []
    with Classifier(str(folder), backend="c2") as clf:
        assert clf.preprocess.name == "caffe2-squeezenet"
        assert not any("no preprocessing declared" in w for w in clf.warnings)


@pytest.mark.parametrize("backend", ["c2", "onnxruntime"])
def test_a_two_input_model_is_refused_naming_its_inputs(tmp_path, backend):
    """An image feeds one input: with two (a, bb) the refusal names them, on every backend."""
    b = NetBuilder("two")
    b.op("Add", ["a", "bb"], "s")
    b.op("FC", ["s", "fc_w", "fc_b"], "fc")
    b.inputs("a", "bb", "fc_w", "fc_b").outputs("fc")
    folder = _pair(tmp_path / "m", b.net, _head(4, np.random.default_rng(0)))
    (folder / "value_info.json").write_text(json.dumps({"a": [1, [1, 3]], "bb": [1, [1, 3]]}))
    with Classifier(str(folder), backend=backend, preset="torchvision") as clf:
        with pytest.raises(C2Error, match=r"reads 2 data inputs \(a, bb\)"):
            clf.classify_paths([_photo(tmp_path / "i.png")], top=1)


@pytest.mark.parametrize("backend", ["c2", "onnxruntime"])
def test_uint8_image_input_gets_the_pixels(tmp_path, backend):
    """value_info declares the input uint8 (the net casts and subtracts its own mean): classify
    fed the preset's float tensor and every backend refused it ('expects uint8')."""
    rng = np.random.default_rng(8)
    w = _head(4, rng)
    b = NetBuilder("u8")
    b.op("Cast", "data", "f", to=1)
    b.op("Sub", ["f", "mean"], "c", broadcast=1)
    b.op("Scale", "c", "s", scale=1.0 / 64)
    b.op("AveragePool", "s", "p", global_pooling=1)
    b.op("FC", ["p", "fc_w", "fc_b"], "fc")
    b.op("Softmax", "fc", "prob")
    b.inputs("data", "mean", "fc_w", "fc_b").outputs("prob")
    folder = _pair(tmp_path / "m", b.net, {**w, "mean": np.array([120.0], np.float32)})
    (folder / "value_info.json").write_text(json.dumps({"data": [6, [1, 3, 16, 16]]}))  # 6: UINT8
    img = _photo(tmp_path / "i.png")
    with Classifier(str(folder), backend=backend, preset="torchvision") as clf:
        res = clf.classify_paths([img], top=4)[0]
        assert any("is uint8" in m for m in clf.warnings)
    from dataclasses import replace

    pre = replace(get_preset("torchvision").for_input_size(16), scale=1.0, mean=(0.0,) * 3, std=(1.0,) * 3)
    px = np.rint(pre.apply(Image.open(img).convert("RGB"))).astype(np.float64)[None]  # uint8 values, RGB
    z = _logits((px - 120.0) / 64, w)[0]
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    got = {e["index"]: e["score"] for e in res["top"]}
    for k, v in got.items():
        assert v == pytest.approx(p[k], abs=1e-5)
