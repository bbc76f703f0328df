"""Classify images with a model on any backend: load, preprocess, run, softmax, top-K.

    with Classifier("model_dir", backend="openvino") as clf:
        results = clf.classify_paths(["cat.jpg"], top=5)
    # [{"image": "cat.jpg", "backend": "openvino", "latency_ms": 3.1,
    #   "top": [{"index": 281, "label": "tabby, tabby cat", "score": 0.83}, ...]}]

Preprocessing (c2core.preprocess, below the backends that also use it) comes
from, in order: an explicit preset, the model's sidecar model.json
("preprocessing"), else a default preset (with a warning in `warnings`).
Labels: --labels, the sidecar's, else ImageNet's.
"""

from __future__ import annotations

import time

import numpy as np

from ..preprocess.images import IMAGE_EXTS, list_images, load_image, to_rgb
from ..preprocess.presets import (CAFFE2_DEFAULT_PRESET, DEFAULT_PRESET, PRESETS, Preprocess, chosen_preset,
                                  default_preset_name, from_sidecar, get_preset, resolve_preprocess, save_preprocessing)
from ..errors import C2Error
from .labels import imagenet_labels, labels_for, labels_for_classes, load_labels
from .topk import ends_in_softmax, softmax, to_probabilities, top_k

__all__ = ["Classifier", "Preprocess", "PRESETS", "get_preset", "load_image", "list_images", "load_labels",
           "imagenet_labels", "labels_for_classes", "save_preprocessing", "softmax", "top_k", "to_probabilities", "IMAGE_EXTS", "to_rgb", "resolve_preprocess",
           "chosen_preset", "default_preset_name", "from_sidecar", "DEFAULT_PRESET", "CAFFE2_DEFAULT_PRESET", "labels_for"]

class Classifier:
    """A prepared model + backend + preprocessing + labels; reusable over many images."""

    def __init__(self, path=None, backend: str | None = None, preset=None, labels: str | None = None,
                 source=None, backend_options: dict | None = None, output: str | None = None,
                 input_shapes=None, value_info=None):
        from ..backends import ModelSource, create

        self.warnings: list[str] = []
        self.source = source if source is not None else ModelSource.open(path, batch=1, value_info=value_info)
        self.source.set_input_shapes(input_shapes)
        self._own_source = source is None
        self.preprocess = resolve_preprocess(self.source, preset, self.warnings)
        self.warnings.extend(w for w in getattr(self.source, "warnings", []) if w not in self.warnings)
        self._labels_file = labels
        if labels:
            load_labels(labels)  # a bad labels file is refused before the (slow) prepare
        self.labels: list[str] | None = None  # fitted to the model's class count on the first output
        if backend is None:  # the model file's own runtime: c2 for Caffe2, onnxruntime for .onnx, ...
            from ..backends.source import NATIVE_BACKEND

            backend = NATIVE_BACKEND.get(getattr(self.source, "kind", "caffe2"), "c2")
        self.backend = create(backend, **(backend_options or {}))
        self._output = output
        self._prepared = False
        self._softmax: bool | None = None

    def prepare(self) -> None:
        if self._prepared:
            return
        self.backend.prepare(self.source)
        ins = list(self.backend.input_names or [])
        if len(ins) > 1:  # an image feeds one input; guessing which of several would be a wrong answer
            raise C2Error(f"classify feeds images to one input, but the model reads {len(ins)} data inputs "
                          f"({', '.join(ins)}): run it with `c2core run --input NAME=FILE.npy` for each",
                          self.source.folder)
        names = self.backend.output_names or []
        if self._output is None:
            self._output = names[0] if names else None
        # The producing op decides; the sidecar's output kind only when the structure is unknown;
        # else to_probabilities checks the numbers.
        self._softmax = ends_in_softmax(self.source, self._output) if self._output else None
        out_spec = self.source.sidecar().get("output")
        if self._softmax is None and isinstance(out_spec, dict) and out_spec.get("kind") in ("logits", "probabilities"):
            self._softmax = out_spec["kind"] == "probabilities"
        self._prepared = True

    def scores(self, batch) -> tuple:
        """(probabilities (N, classes), seconds) for a preprocessed NCHW batch."""
        self.prepare()
        feed = {self.backend.input_names[0]: batch}
        t0 = time.perf_counter()
        out = self.backend.run(feed)
        dt = time.perf_counter() - t0
        raw = out[self._output] if self._output in out else next(iter(out.values()))
        probs = to_probabilities(raw, self._softmax, self._output or "output")
        if self.labels is None or len(self.labels) != probs.shape[1]:
            self.labels = labels_for_classes(probs.shape[1], self.source.sidecar(), self.source.folder,
                                             self._labels_file, self.warnings)
        return probs, dt

    def _layout(self, x):
        """NCHW images as the model's input wants them (NHWC for NHWC inputs)."""
        shapes = self.source.input_shapes()
        if len(shapes) == 1:
            s = next(iter(shapes.values()))
            if len(s) == 4 and s[-1] in (1, 3, 4) and s[1] not in (1, 3, 4):
                return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        return x

    def _uint8_input(self) -> bool:
        """Whether the (one) image input is uint8 (value_info, or an op that reads bytes)."""
        if getattr(self, "_u8", None) is None:
            self._u8 = False
            model = getattr(self.source, "model", None)
            if model is not None and getattr(self.source, "kind", None) == "caffe2":
                from ..inputs import consumer_dtype

                names = self.source.input_names()
                if len(names) == 1:
                    dt = self.source.resolved().dtypes.get(names[0]) or consumer_dtype(model, names[0])
                    self._u8 = dt is not None and np.dtype(dt) == np.uint8
                    if self._u8:
                        self.warnings.append(
                            f"input '{names[0]}' is uint8: feeding the resized, cropped pixels (0..255, "
                            f"{self.preprocess.color.upper()}) without the preset's scale/mean/std (the net "
                            "normalises them itself)")
        return self._u8

    def tensor(self, image) -> np.ndarray:
        """One image as the model's input wants it (1, ...): preprocessed, in the input's layout;
        for a uint8 input the pixels themselves (a float feed was refused: 'expects uint8')."""
        if self._uint8_input():
            from dataclasses import replace

            raw = replace(self.preprocess, scale=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)).apply(image)
            return self._layout(np.clip(np.rint(raw), 0, 255).astype(np.uint8)[None])
        return self._layout(self.preprocess.apply(image)[None])

    def classify_images(self, images, names, top: int = 5, warmup: bool = True) -> list[dict]:
        results = []
        for i, (im, name) in enumerate(zip(images, names)):
            x = self.tensor(im)
            if warmup and i == 0:
                self.scores(x)  # first call pays for lazy initialisation
            probs, dt = self.scores(x)
            results.append({"image": name, "backend": self.backend.label, "latency_ms": round(dt * 1000.0, 3),
                            "top": top_k(probs[0], top, self.labels)})
        return results

    def classify_paths(self, paths, top: int = 5) -> list[dict]:
        images = [load_image(p) for p in paths]  # every file checked before the (slow) prepare
        return self.classify_images(images, [str(p) for p in paths], top)

    def close(self) -> None:
        self.backend.close()
        if self._own_source:
            self.source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
