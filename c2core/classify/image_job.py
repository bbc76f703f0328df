"""One classification run as a headless job: what the app's Classify button does.

`classify_job(model, paths, ...)` loads the images, runs `Classifier` on the
chosen engine with the input shapes the user set (the one input resolver
fills in the rest: value_info.json, the preprocessing crop...), and with the
executor also captures every intermediate blob of the first image for the
inspector. `backend="auto"` first asks `auto_backend.pick_backend` for the
fastest engine that matches the executor on this model. The class-count
rules (labels fitted to the class count, refusal of maps that are not class
vectors) are the Classifier's. `*_from_files` variants reopen the model in a
child process (ONNX export and engine set-up hold the GIL for long stretches).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import C2Error
from ..tasks import check_cancel, no_progress

# The resolver's advice names CLI flags; the app says where its own control is.
_CLI_SHAPE_ADVICE = "give --input-shape NAME=D0,D1,... or --value-info FILE to choose another"


@dataclass
class ClassifyOutcome:
    results: list  # Classifier.classify_images dicts, one per image
    activations: dict = field(default_factory=dict)  # blob -> array, first image, executor only
    warnings: list = field(default_factory=list)
    backend: str = ""  # the engine that ran (auto's choice when backend was 'auto')
    auto_note: str = ""  # what auto measured, e.g. "c2 6.0 ms; onnxruntime 1.9 ms; openvino 1.2 ms"
    input_shapes: dict = field(default_factory=dict)  # the shapes the run used


def _source(model, input_shapes, preset, warnings=None, hint=None, progress=None, cancel=None):
    """A batch-1 ModelSource with the user's shapes, and the preprocessing that fits it."""
    from ..backends import ModelSource
    from . import resolve_preprocess

    src = ModelSource(model=model, path=model.predict_path, batch=1, input_shapes=input_shapes or None,
                      progress=progress, cancel=cancel)
    return src, resolve_preprocess(src, preset, warnings, hint=hint)


def choose_backend(model, preset=None, input_shapes: dict | None = None, progress=None, cancel=None) -> tuple:
    """`auto`'s choice for this model at the shapes a classification would use: (engine, note)."""
    from .auto_backend import pick_backend

    src, _ = _source(model, input_shapes, preset)
    with src:
        return pick_backend(src, progress=progress, cancel=cancel)


def _open(predict_path: str, init_path: str | None):
    from ..io import open_model

    return open_model(predict_path, init_path=init_path)


def choose_backend_from_files(predict_path: str, init_path: str | None, preset=None, input_shapes=None,
                              progress=None) -> tuple:
    """`choose_backend` on a model reopened from its files (for a child process)."""
    return choose_backend(_open(predict_path, init_path), preset, input_shapes, progress)


def classify_files(predict_path: str, init_path: str | None, paths, progress=None, **kw) -> "ClassifyOutcome":
    """`classify_job` on a model reopened from its files (for a child process)."""
    return classify_job(_open(predict_path, init_path), paths, progress=progress, **kw)


def classify_job(model, paths, backend: str = "auto", preset=None, labels: str | None = None,
                 input_shapes: dict | None = None, top: int = 5, activations: bool = True,
                 preset_hint: str | None = None, shape_hint: str | None = None, progress=None,
                 cancel=None) -> ClassifyOutcome:
    """Classify image files with `model`; hints name the app's controls in warnings."""
    from . import Classifier, load_image

    progress = progress or no_progress
    if getattr(model, "structure_only", False):
        raise C2Error("this model has no weights (structure only): it cannot classify", model.predict_path)
    progress(0.02, "Loading images…")
    images = [load_image(p) for p in paths]
    warnings: list[str] = []
    source, pre = _source(model, input_shapes, preset, warnings, preset_hint, progress, cancel)
    try:
        chosen, note = backend, ""
        if backend == "auto":
            from .auto_backend import pick_backend

            progress(0.05, "Choosing the fastest engine that matches the executor…")
            chosen, note = pick_backend(source, progress=progress, cancel=cancel)
        check_cancel(cancel)
        clf = Classifier(source=source, backend=chosen, preset=pre, labels=labels)
        try:
            progress(0.3, f"Preparing {chosen}…")
            clf.prepare()
            results = []
            for i, (im, p) in enumerate(zip(images, paths)):
                check_cancel(cancel)
                results += clf.classify_images([im], [str(p)], top=top, warmup=(i == 0))
                progress(0.35 + 0.5 * (i + 1) / len(paths), f"Classified {i + 1}/{len(paths)}")
            acts = {}
            if activations and chosen == "c2" and images:
                check_cancel(cancel)
                progress(0.9, "Capturing activations…")
                x = clf.tensor(images[0])
                acts = clf.backend.predictor.run({clf.backend.input_names[0]: x}, fetch_all=True)
            notes = [w for w in warnings + list(clf.warnings)]
            if shape_hint:
                notes = [w.replace(_CLI_SHAPE_ADVICE, f"set it in {shape_hint} to choose another") for w in notes]
            return ClassifyOutcome(results, acts, list(dict.fromkeys(notes)), chosen, note, source.input_shapes())
        finally:
            clf.close()
    finally:
        source.close()
