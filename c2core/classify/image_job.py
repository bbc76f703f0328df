"""One classification run as a headless job: what the app's Classify button does.

`classify_job(model, paths, ...)` loads the images, fixes the input shape
(the shape the user set, value_info.json, else the preprocessing crop as
1×3×crop×crop), picks the backend (`auto`: the fastest available engine whose
output matches the executor's on this model, see `auto_backend`), refuses
outputs that are not class vectors, classifies, and with the executor also
captures every intermediate blob of the first image for the inspector.
Progress and cancel follow `c2core.tasks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import C2Error
from ..tasks import check_cancel, no_progress


@dataclass
class ClassifyOutcome:
    results: list  # Classifier.classify_images dicts, one per image
    activations: dict = field(default_factory=dict)  # blob -> array, first image, executor only
    warnings: list = field(default_factory=list)
    backend: str = ""  # the engine that ran (the auto choice when backend was 'auto')
    auto_note: str = ""  # why auto chose it, e.g. "openvino 1.2 ms (parity ok); onnxruntime 1.9 ms; c2 6.0 ms"
    input_shapes: dict = field(default_factory=dict)


def image_input_shapes(model, preprocess, input_shapes: dict | None) -> dict:
    """The shapes to run with: the ones given, else the model's declared ones, else
    1×3×crop×crop for a single data input (the preprocessing decides the size)."""
    from ..input_rows import feed_shapes, input_rows

    return feed_shapes(input_rows(model, input_shapes, crop=getattr(preprocess, "crop", None)))


def check_class_vector(name: str, out: np.ndarray, path=None) -> None:
    """Refuse outputs that are not one score per class (N, K) or (N, K, 1, 1)."""
    shape = tuple(np.shape(out))
    if len(shape) >= 2 and all(d == 1 for d in shape[2:]) and shape[1] > 1:
        return
    raise C2Error(f"output '{name}' has shape {list(shape)}: not a class-score vector (N, classes), "
                  "so it cannot be classified (a detection, segmentation or feature map?)", path)


def choose_backend(model, preset=None, input_shapes: dict | None = None, progress=None, cancel=None) -> tuple:
    """`auto`'s choice for this model at the shapes a classification would use: (engine, note)."""
    from ..backends import ModelSource
    from . import resolve_preprocess
    from .auto_backend import pick_backend

    probe = ModelSource(model=model, path=model.predict_path, batch=1)
    shapes = image_input_shapes(model, resolve_preprocess(probe, preset), input_shapes)
    with ModelSource(model=model, path=model.predict_path, batch=1, input_shapes=shapes or None) as source:
        return pick_backend(source, progress=progress, cancel=cancel)


def _open(predict_path: str, init_path: str | None):
    from ..io import open_model

    return open_model(predict_path, init_path=init_path)


def choose_backend_from_files(predict_path: str, init_path: str | None, preset=None, input_shapes=None,
                              progress=None) -> tuple:
    """`choose_backend` on a model reopened from its files (run in a child process: ONNX
    export and engine set-up hold the GIL for long stretches)."""
    return choose_backend(_open(predict_path, init_path), preset, input_shapes, progress)


def classify_files(predict_path: str, init_path: str | None, paths, progress=None, **kw) -> "ClassifyOutcome":
    """`classify_job` on a model reopened from its files (for a child process)."""
    return classify_job(_open(predict_path, init_path), paths, progress=progress, **kw)


def classify_job(model, paths, backend: str = "auto", preset=None, labels: str | None = None,
                 input_shapes: dict | None = None, top: int = 5, activations: bool = True,
                 preset_hint: str = "--preset", progress=None, cancel=None) -> ClassifyOutcome:
    from ..backends import ModelSource
    from . import Classifier, load_image, resolve_preprocess

    progress = progress or no_progress
    if getattr(model, "structure_only", False):
        raise C2Error("this model has no weights (structure only): it cannot classify", model.predict_path)
    progress(0.02, "Loading images…")
    images = [load_image(p) for p in paths]
    warnings: list[str] = []
    probe = ModelSource(model=model, path=model.predict_path, batch=1)
    pre = resolve_preprocess(probe, preset, warnings, hint=preset_hint)
    shapes = image_input_shapes(model, pre, input_shapes)
    source = ModelSource(model=model, path=model.predict_path, batch=1, input_shapes=shapes or None,
                         progress=progress, cancel=cancel)
    try:
        chosen, note = backend, ""
        if backend == "auto":
            from .auto_backend import pick_backend

            progress(0.05, "Choosing the fastest engine that matches the executor…")
            chosen, note = pick_backend(source, progress=progress, cancel=cancel)
        check_cancel(cancel)
        clf = Classifier(source=source, backend=chosen, preset=resolve_preprocess(source, pre), labels=labels)
        try:
            progress(0.3, f"Preparing {chosen}…")
            clf.prepare()
            results = []
            for i, (im, p) in enumerate(zip(images, paths)):
                check_cancel(cancel)
                if i == 0:
                    x = clf.preprocess.apply(im)[None]
                    out = clf.backend.run({clf.backend.input_names[0]: x})
                    name = clf._output if clf._output in out else next(iter(out))
                    check_class_vector(name, out[name], model.predict_path)
                    _check_labels(clf, out[name], warnings)
                results += clf.classify_images([im], [str(p)], top=top, warmup=(i == 0))
                progress(0.35 + 0.5 * (i + 1) / len(paths), f"Classified {i + 1}/{len(paths)}")
            acts = {}
            if activations and chosen == "c2" and images:
                check_cancel(cancel)
                progress(0.9, "Capturing activations…")
                acts = clf.backend.predictor.run({clf.backend.input_names[0]: clf.preprocess.apply(images[0])[None]},
                                                 fetch_all=True)
            return ClassifyOutcome(results, acts, warnings + list(clf.warnings), chosen, note, shapes)
        finally:
            clf.close()
    finally:
        source.close()


def _check_labels(clf, out, warnings: list) -> None:
    """Labels that do not match the class count are not used (indices are shown instead)."""
    n = int(np.prod(np.shape(out)[1:]))
    if clf.labels is not None and len(clf.labels) != n:
        warnings.append(f"the labels list has {len(clf.labels)} entries but the model scores {n} classes: "
                        "showing class indices (choose a labels file that fits)")
        clf.labels = None
