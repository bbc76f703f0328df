"""AICamera's stylizer ops: executor vs an independent NumPy reference, shapes, ONNX export."""

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.runtime import Predictor

MEAN = np.array([103.5, 116.25, 122.75], np.float32)


def _net(noise_std, noise_size=7, seed=None):
    b = NetBuilder("style")
    op = b.op("PackedInt8BGRANHWCToNCHWCStylizerPreprocess", ["img", "mean"], "x", noise_std=noise_std,
              noise_size=noise_size)
    if seed is not None:
        op.device_option.random_seed = seed
    b.op("Scale", "x", "x2", scale=1.5)  # a stand-in for the style network
    b.op("BRGNCHWCToPackedInt8BGRAStylizerDeprocess", ["x2", "mean"], "out")
    b.inputs("img", "mean").outputs("out")
    return model_from(b.net, {"mean": MEAN})


def ref_preprocess(img, mean, noise):
    """Caffe2's CPU loop, written independently: one noise value per output element in
    pixel order (B, G, R per pixel), the cycle restarting for every image."""
    n, h, w, _ = img.shape
    y = np.zeros((n, 3, h, w), np.float32)
    for b in range(n):
        k = 0
        for p in range(h * w):
            for c in range(3):
                v = float(img[b, p // w, p % w, c]) - mean[c] + (noise[k] if noise is not None else 0.0)
                y[b, c, p // w, p % w] = v
                k = (k + 1) % (len(noise) if noise is not None else 1)
    return y


def ref_deprocess(x, mean):
    n, _, h, w = x.shape
    out = np.full((n, h, w, 4), 255, np.uint8)
    for c in range(3):
        v = x[:, c] + mean[c]
        out[..., c] = np.where(v >= 255, 255, np.where(v <= 0, 0, np.trunc(v))).astype(np.uint8)
    return out


def _img(n=2, h=5, w=6, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 4), dtype=np.uint8)


def test_executor_without_noise_is_exact():
    img = _img()
    m = _net(0.0)
    got = Predictor(m).run({"img": img}, fetch=["x"])
    np.testing.assert_array_equal(got["x"], ref_preprocess(img, MEAN, None))
    np.testing.assert_array_equal(got["out"], ref_deprocess(ref_preprocess(img, MEAN, None) * 1.5, MEAN))
    assert got["out"].dtype == np.uint8 and got["out"].shape == (2, 5, 6, 4)


def test_executor_noise_is_seeded_and_cycles():
    from c2core.stylizer_noise import noise_values

    img = _img()
    got = Predictor(_net(4.0, noise_size=7, seed=11)).run({"img": img}, fetch=["x"])["x"]
    noise = noise_values(4.0, 7, 11)
    np.testing.assert_allclose(got, ref_preprocess(img, MEAN, noise), rtol=0, atol=1e-4)
    again = Predictor(_net(4.0, noise_size=7, seed=11)).run({"img": img}, fetch=["x"])["x"]
    np.testing.assert_array_equal(got, again)
    assert np.std(got - ref_preprocess(img, MEAN, None)) > 1.0


def test_shapes():
    from c2core.shapes import infer_shapes

    info = infer_shapes(_net(0.0), {"img": (1, 8, 9, 4)}, {"img": "uint8"})
    assert info["x"].shape == (1, 3, 8, 9) and info["x"].dtype == "float32"
    assert info["out"].shape == (1, 8, 9, 4) and info["out"].dtype == "uint8"


@pytest.mark.parametrize("noise_std", [0.0, 3.0])
def test_onnx_export_matches(noise_std):
    """Exact with noise disabled (vs the NumPy reference); with noise, equal to the seeded executor."""
    import onnxruntime as ort

    from c2core.onnx.export import export_onnx

    img = _img(1, 7, 4, seed=3)
    m = _net(noise_std, noise_size=5, seed=2)
    proto = export_onnx(m, input_shapes={"img": (1, 7, 4, 4)})
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"img": img})[0]
    want = Predictor(m).run({"img": img})["out"]
    np.testing.assert_array_equal(got, want)
    if noise_std == 0.0:
        np.testing.assert_array_equal(got, ref_deprocess(ref_preprocess(img, MEAN, None) * 1.5, MEAN))


def test_placeholder_fill_does_not_decide_the_feed():
    """AICamera-style init nets fill the image blob with a float placeholder; the uint8 feed decides."""
    from c2core.model import Model
    from c2core.builder import init_net_from, make_arg

    m = _net(0.0)
    init = init_net_from({"mean": MEAN})
    ph = init.op.add(type="ConstantFill", output=["img"])
    ph.arg.extend([make_arg("shape", [1]), make_arg("value", 0.0)])
    m2 = Model(predict_net=m.predict_net, init_net=init)
    assert m2.data_inputs == ["img"] and m2.input_shapes() == {}
    img = _img(1, 3, 4)
    out = Predictor(m2).run({"img": img})["out"]
    np.testing.assert_array_equal(out, ref_deprocess(ref_preprocess(img, MEAN, None) * 1.5, MEAN))
