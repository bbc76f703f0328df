"""Classify images with a model on any backend: load, preprocess, run, softmax, top-K.

    with Classifier("model_dir", backend="openvino") as clf:
        results = clf.classify_paths(["cat.jpg"], top=5)
    # [{"image": "cat.jpg", "backend": "openvino", "latency_ms": 3.1,
    #   "top": [{"index": 281, "label": "tabby, tabby cat", "score": 0.83}, ...]}]

Preprocessing comes from, in order: an explicit preset, the model's sidecar
model.json ("preprocessing"), else the torchvision preset (with a warning in
`warnings`). Labels: --labels, the sidecar's, else ImageNet's.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import C2Error
from .images import IMAGE_EXTS, list_images, load_image, to_rgb
from .labels import imagenet_labels, labels_for, labels_for_classes, load_labels
from .presets import PRESETS, Preprocess, from_sidecar, get_preset, save_preprocessing
from .topk import ends_in_softmax, softmax, to_probabilities, top_k

__all__ = ["Classifier", "Preprocess", "PRESETS", "get_preset", "load_image", "list_images", "load_labels",
           "imagenet_labels", "labels_for_classes", "save_preprocessing", "softmax", "top_k", "to_probabilities", "IMAGE_EXTS", "to_rgb", "resolve_preprocess"]

DEFAULT_PRESET = "torchvision"
# Caffe2 models were mostly trained with Caffe's preprocessing (BVLC zoo, Detectron backbones).
CAFFE2_DEFAULT_PRESET = "caffe"


def default_preset_name(source) -> str:
    """The preset used when nothing declares one: Caffe's for Caffe2 models, torchvision's otherwise."""
    return CAFFE2_DEFAULT_PRESET if getattr(source, "model", None) is not None else DEFAULT_PRESET


def chosen_preset(source, preset: str | Preprocess | None = None) -> tuple[Preprocess, bool]:
    """(the preprocessing a run would start from, whether it is the default because nothing
    declared one): the explicit preset, model.json's, else the default for the model's kind.
    Cheap (no input resolution): what a preset chooser shows before any run."""
    if isinstance(preset, Preprocess):
        return preset, False
    if preset:
        return get_preset(preset), False
    p = from_sidecar(source.sidecar())
    return (p, False) if p is not None else (get_preset(default_preset_name(source)), True)


def resolve_preprocess(source, preset: str | Preprocess | None = None, warnings: list | None = None,
                       hint: str | None = None) -> Preprocess:
    """The preprocessing for this model, fitted to its input size.

    When the model declares no input size, the preset's crop defines it (images
    are the input): the source is told, so every backend exports that shape.
    `hint`: where the user chooses a preset when it is not the CLI's --preset
    (the app's Preset box), named in the warning instead of the flags.
    """
    p, defaulted = chosen_preset(source, preset)
    if defaulted and warnings is not None:
        others = ", ".join(k for k in PRESETS if k != p.name)
        how = (f"choose with --preset NAME ({others}), and keep the choice with --save-preset" if hint is None
               else f"choose with {hint} ({others}), and keep the choice in model.json with its Save button")
        warnings.append(f"no preprocessing declared for this model (model.json); using preset '{p.name}' "
                        f"({p.notes}); {how}")
    resolved = source.resolved() if getattr(source, "model", None) is not None else None
    if resolved is not None and len(resolved.names) == 1 and resolved.sources.get(resolved.names[0]) in (None, "inferred"):
        source.set_image_size(p.crop)  # the images define the input size
        return p
    shapes = source.input_shapes()
    if len(shapes) == 1:
        shape = next(iter(shapes.values()))
        if len(shape) == 4 and shape[2] == shape[3] and shape[2] > 0:
            p = p.for_input_size(int(shape[2]))
        elif len(shape) == 4 and shape[1] == shape[2] and shape[3] == 3 and shape[1] > 0:  # NHWC
            p = p.for_input_size(int(shape[1]))
        elif len(shape) == 4 and shape[1] != 3:
            raise C2Error(f"model input has shape {list(shape)}: not a 3-channel NCHW image input", source.path)
    return p


class Classifier:
    """A prepared model + backend + preprocessing + labels; reusable over many images."""

    def __init__(self, path=None, backend: str = "c2", preset=None, labels: str | None = None,
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
        self.backend = create(backend, **(backend_options or {}))
        self._output = output
        self._prepared = False
        self._softmax: bool | None = None

    def prepare(self) -> None:
        if self._prepared:
            return
        self.backend.prepare(self.source)
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

    def classify_images(self, images, names, top: int = 5, warmup: bool = True) -> list[dict]:
        results = []
        for i, (im, name) in enumerate(zip(images, names)):
            x = self._layout(self.preprocess.apply(im)[None])
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
