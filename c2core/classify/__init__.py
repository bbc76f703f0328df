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

from ..errors import C2Error
from .images import IMAGE_EXTS, list_images, load_image, to_rgb
from .labels import imagenet_labels, labels_for, load_labels
from .presets import PRESETS, Preprocess, from_sidecar, get_preset
from .topk import ends_in_softmax, softmax, to_probabilities, top_k

__all__ = ["Classifier", "Preprocess", "PRESETS", "get_preset", "load_image", "list_images", "load_labels",
           "imagenet_labels", "softmax", "top_k", "to_probabilities", "IMAGE_EXTS", "to_rgb", "resolve_preprocess"]

DEFAULT_PRESET = "torchvision"


def resolve_preprocess(source, preset: str | Preprocess | None = None, warnings: list | None = None,
                       hint: str = "--preset") -> Preprocess:
    """The preprocessing for this model, fitted to its input size; `hint` names where the
    user chooses a preset (the CLI's --preset, the app's Preset box) in the warning."""
    if isinstance(preset, Preprocess):
        p = preset
    elif preset:
        p = get_preset(preset)
    else:
        p = from_sidecar(source.sidecar())
        if p is None:
            p = get_preset(DEFAULT_PRESET)
            if warnings is not None:
                warnings.append(f"no preprocessing declared for this model (model.json); using preset "
                                f"'{DEFAULT_PRESET}' (choose with {hint}: {', '.join(PRESETS)})")
    shapes = source.input_shapes()
    if len(shapes) == 1:
        shape = next(iter(shapes.values()))
        if len(shape) == 4 and shape[2] == shape[3] and shape[2] > 0:
            p = p.for_input_size(int(shape[2]))
        elif len(shape) == 4 and shape[1] != 3:
            raise C2Error(f"model input has shape {list(shape)}: not a 3-channel NCHW image input", source.path)
    return p


class Classifier:
    """A prepared model + backend + preprocessing + labels; reusable over many images."""

    def __init__(self, path=None, backend: str = "c2", preset=None, labels: str | None = None,
                 source=None, backend_options: dict | None = None, output: str | None = None):
        from ..backends import ModelSource, create

        self.warnings: list[str] = []
        self.source = source if source is not None else ModelSource.open(path, batch=1)
        self._own_source = source is None
        self.preprocess = resolve_preprocess(self.source, preset, self.warnings)
        self.labels = labels_for(self.source.sidecar(), self.source.folder, labels)
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
        return to_probabilities(raw, self._softmax), dt

    def classify_images(self, images, names, top: int = 5, warmup: bool = True) -> list[dict]:
        results = []
        for i, (im, name) in enumerate(zip(images, names)):
            x = self.preprocess.apply(im)[None]
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
