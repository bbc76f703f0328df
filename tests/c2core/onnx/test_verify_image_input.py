"""A user's image given for verification goes through the model's own
preprocessing (its model.json), like classification does."""

import json

import numpy as np
from PIL import Image

from c2core.onnx.verify import load_input, model_preprocess


def test_image_uses_the_sidecar_preprocessing(tmp_path):
    (tmp_path / "predict_net.pb").write_bytes(b"")
    (tmp_path / "model.json").write_text(json.dumps({"preprocessing": {
        "preset": "custom", "color": "BGR", "resize": 0, "crop": 4, "scale": 1.0,
        "mean": [10, 20, 30], "std": [2, 2, 2], "interpolation": "nearest"}}))
    rgb = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3) * 5
    Image.fromarray(rgb).save(tmp_path / "x.png")
    pre = model_preprocess(str(tmp_path / "predict_net.pb"))
    arr, desc = load_input(str(tmp_path / "x.png"), (2, 3, 4, 4), np.float32, pre)
    # Independent formula: BGR order, (p - mean) / std, CHW, batch repeated.
    bgr = rgb[:, :, ::-1].astype(np.float32)
    want = ((bgr - np.array([10, 20, 30], np.float32)) / 2).transpose(2, 0, 1)
    assert arr.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(arr[0], want, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(arr[0], arr[1])
    assert "custom preprocessing" in desc


def test_without_sidecar_an_image_is_rgb_0_255(tmp_path):
    assert model_preprocess(str(tmp_path / "predict_net.pb")) is None
    rgb = np.full((6, 6, 3), 7, np.uint8)
    Image.fromarray(rgb).save(tmp_path / "y.png")
    arr, desc = load_input(str(tmp_path / "y.png"), (1, 3, 6, 6), np.float32, None)
    assert arr.shape == (1, 3, 6, 6) and float(arr.max()) == 7.0 and "RGB 0..255" in desc
