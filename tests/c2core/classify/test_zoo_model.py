"""The default model (EfficientNet-Lite0 from c2core.zoo) on every CPU backend.

- OpenVINO FP32 IR agrees with the executor within 1e-4 relative error, the
  FP16-weight IR within the FP16 tolerance of `compare.DEFAULT_RTOL`;
- scikit-image's photos get the same top-1 class on c2, onnxruntime and
  openvino, and the obvious photos get the obvious ImageNet class.
"""

import os

import numpy as np
import pytest

pytestmark = pytest.mark.slow

PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "motorcycle_left.png", "horse.png"]
# ImageNet classes a correct classifier must give the unambiguous photos
EXPECTED = {"chelsea.png": range(281, 286),  # domestic cats (tabby, tiger cat, Persian, Siamese, Egyptian)
            "coffee.png": (967, 968)}  # espresso, cup


def _photos():
    import skimage

    return [os.path.join(skimage.data.data_dir, p) for p in PHOTOS]


@pytest.fixture(scope="module")
def source(zoo_model):
    from c2core.backends import ModelSource

    with ModelSource.open(zoo_model) as src:
        yield src


def test_openvino_ir_parity_with_executor(source):
    from c2core.backends import availability
    from c2core.compare import DEFAULT_RTOL, compare_backends

    for name in ("c2", "openvino"):
        if not availability(name).ok:
            pytest.skip(availability(name).reason)
    rep = compare_backends(source, ["openvino", "openvino:fp16"])
    by = {r.backend: r for r in rep.results}
    assert by["openvino"].outputs[0].max_rel <= 1e-4, rep.format()
    assert by["openvino:fp16"].outputs[0].max_rel <= DEFAULT_RTOL["fp16"], rep.format()
    assert by["openvino:fp16"].outputs[0].max_rel > by["openvino"].outputs[0].max_rel  # the FP16 IR really differs
    # the IRs the backends wrote: FP16 weights take half the bytes
    size = {p: os.path.getsize(os.path.join(source.workdir, f"openvino-{p}", "model.bin")) for p in ("fp32", "fp16")}
    assert size["fp16"] < 0.6 * size["fp32"], size


def test_same_top1_on_every_cpu_backend(zoo_model, source):
    from c2core.backends import availability
    from c2core.classify import Classifier, load_image

    backends = [b for b in ("c2", "onnxruntime", "openvino") if availability(b).ok]
    if len(backends) < 3:
        pytest.skip(f"needs c2, onnxruntime and openvino; available: {backends}")
    photos = _photos()
    images = [load_image(p) for p in photos]
    top1 = {}
    for b in backends:
        with Classifier(source=source, backend=b) as clf:
            assert clf.preprocess.color == "RGB" and clf.preprocess.crop == 224
            res = clf.classify_images(images, photos, top=5, warmup=False)
        top1[b] = [r["top"][0]["index"] for r in res]
        for r in res:
            scores = [t["score"] for t in r["top"]]
            assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0 + 1e-5
    assert top1["c2"] == top1["onnxruntime"] == top1["openvino"], top1
    for photo, idx in zip(PHOTOS, top1["c2"]):
        if photo in EXPECTED:
            assert idx in EXPECTED[photo], (photo, idx)


def test_fp16_onnx_for_tensorrt11_stays_close_to_executor(source):
    """The FP16 ONNX that a TensorRT 11 fp16 build parses, run here in ONNX Runtime (CPU)."""
    import onnx
    import onnxruntime as ort

    from c2core.backends import availability, create
    from c2core.backends.fp16 import convert_to_fp16
    from c2core.compare import DEFAULT_RTOL

    if not availability("c2").ok:
        pytest.skip(availability("c2").reason)
    x = source.example_inputs(seed=0)
    with create("c2") as be:
        be.prepare(source)
        ref = be.run(x)["logits"].astype(np.float64)
    m16 = convert_to_fp16(onnx.load(source.onnx_path()))
    sess = ort.InferenceSession(m16.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"data": x["data"].astype(np.float16)})[0].astype(np.float64)
    assert np.abs(got - ref).max() / np.abs(ref).max() <= DEFAULT_RTOL["fp16"]
    assert got.argmax() == ref.argmax()
