"""Preprocessing presets against hand-written NumPy formulas."""

import numpy as np
import pytest
from PIL import Image

from c2core.classify import PRESETS, Preprocess, get_preset
from c2core.preprocess.presets import from_sidecar
from c2core.errors import C2Error


def _image(w, h, seed=0):
    a = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    return Image.fromarray(a), a.astype(np.float64)


def test_caffe_preset_crops_centre_and_subtracts_bgr_mean():
    # Shorter side already 256: the resize is the identity, so the expected
    # tensor is a plain centre crop of the array, reversed to BGR, minus 104/117/123.
    im, a = _image(300, 256)
    x = get_preset("caffe").apply(im)
    top, left = (256 - 224) // 2, (300 - 224) // 2
    crop = a[top:top + 224, left:left + 224]
    expect = (crop[..., ::-1] - np.array([104.0, 117.0, 123.0])).transpose(2, 0, 1)
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    np.testing.assert_allclose(x, expect, atol=1e-4)


def test_torchvision_preset_formula():
    # Width 224 is the shorter side and resize=224 makes the resize the identity;
    # the crop then takes rows 16..240.
    im, a = _image(224, 256, seed=1)
    p = Preprocess.from_dict({"preset": "torchvision", "resize": 224})
    x = p.apply(im)
    top = (256 - 224) // 2
    crop = a[top:top + 224, :]
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    expect = ((crop / 255.0 - mean) / std).transpose(2, 0, 1)
    np.testing.assert_allclose(x, expect, atol=1e-5)


def test_squeezenet_preset_is_bgr_minus_128_at_227():
    im, a = _image(227, 227, seed=2)
    x = get_preset("caffe2-squeezenet").apply(im)
    np.testing.assert_allclose(x, (a[..., ::-1] - 128.0).transpose(2, 0, 1), atol=1e-4)


def test_resize_keeps_aspect_then_crops():
    im, _ = _image(640, 480, seed=3)
    x = get_preset("torchvision").apply(im)
    assert x.shape == (3, 224, 224)


def test_for_input_size_scales_resize_in_proportion():
    p = get_preset("torchvision").for_input_size(112)
    assert (p.crop, p.resize) == (112, 128)
    assert get_preset("caffe").for_input_size(224) is get_preset("caffe")


def test_custom_dict_round_trip_and_validation():
    p = Preprocess.from_dict({"color": "BGR", "mean": 127.5, "std": [127.5, 127.5, 127.5], "resize": 0, "crop": 64})
    assert p.mean == (127.5,) * 3 and Preprocess.from_dict(p.to_dict()) == p
    with pytest.raises(C2Error, match="unknown preprocessing key"):
        Preprocess.from_dict({"colour": "RGB"})
    with pytest.raises(C2Error, match="RGB or BGR"):
        Preprocess.from_dict({"color": "HSV"})
    with pytest.raises(C2Error, match="unknown preset"):
        get_preset("nope")
    assert from_sidecar({"preprocessing": "caffe"}) is PRESETS["caffe"]
    assert from_sidecar({}) is None
