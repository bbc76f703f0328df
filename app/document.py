"""`Document`: one opened model and what the core computed about it.

Opening runs on a worker (`app.jobs`): `open_model`, the versioned `Graph`
and static shape inference are all core calls; the app only keeps their
results together, plus the activations of the last classification run so the
inspector can show intermediate blobs.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from c2core.io.user_files import IMAGE_EXTS as IMAGE_SUFFIXES  # noqa: F401  (the one image list, c2core's)

MODEL_SUFFIXES = (".pb", ".pbtxt", ".minidb", ".db", ".prototxt")


@dataclass
class Document:
    model: object
    graph: object
    path: str
    shapes: dict = field(default_factory=dict)  # (blob, version) -> BlobInfo
    shape_error: str = ""
    open_seconds: float = 0.0
    activations: dict = field(default_factory=dict)  # blob -> np.ndarray from the last run
    fingerprint: str = ""  # the core's net_fingerprint: key of per-model choices (shapes, preset, labels)
    input_overrides: dict = field(default_factory=dict)  # input name -> shape the user set (Inputs panel)
    preset: str = ""  # the preset remembered for this model ("" = model.json's, else the default)
    input_rows: tuple | None = None  # (crop, rows, warning) resolved on the worker at open

    @property
    def title(self) -> str:
        return self.model.name

    def blob_info(self, blob: str, version: int | None = None):
        if version is None:
            version = self.graph.latest_version(blob)
        return self.shapes.get((blob, version))


def split_pair(paths: list[str]) -> tuple[str, str | None]:
    """(predict-or-folder, init or None) from one or two dropped/chosen paths."""
    from c2core.io.pairing import looks_like_init_name

    paths = [os.fspath(p) for p in paths]
    if len(paths) >= 2:
        a, b = paths[0], paths[1]
        if looks_like_init_name(a) and not looks_like_init_name(b):
            a, b = b, a
        return a, b
    return paths[0], None


def infer_document_shapes(doc: Document, input_shapes: dict | None = None) -> tuple[dict, str]:
    """(shapes, error) of the document's graph for these input shapes (worker thread)."""
    try:
        return doc.graph.infer_shapes(input_shapes=input_shapes or None), ""
    except Exception as e:  # shapes are a nicety: the graph still opens
        return {}, f"shape inference failed: {e}"


def resolve_rows(doc: Document, crop: int | None):
    """(rows, warning) of the Inputs panel for `doc` (the core's resolver; a shape that no
    longer fits the model is dropped)."""
    from c2core.errors import C2Error
    from c2core.input_rows import input_rows

    try:
        return input_rows(doc.model, doc.input_overrides, crop)
    except C2Error:
        doc.input_overrides = {}
        return input_rows(doc.model, {}, crop)


def load_document(path: str, init_path: str | None = None, progress=None, cancel=None, prefs=None) -> Document:
    """Open, build the graph and infer shapes (worker thread)."""
    from c2core.graph import Graph
    from c2core.io import open_structure
    from c2core.io.digest import net_fingerprint

    t0 = time.perf_counter()
    progress = progress or (lambda f, m: None)
    progress(0.1, f"Reading {os.path.basename(path)}…")
    model = open_structure(path, init_path=init_path)  # unreadable weights: the graph, with a warning
    if cancel is not None:
        cancel.check()
    progress(0.5, "Building the graph…")
    graph = Graph(model)
    doc = Document(model, graph, path)
    doc.fingerprint = net_fingerprint(model)
    progress(0.7, "Inferring shapes…")
    try:
        doc.shapes = graph.infer_shapes()
    except Exception as e:  # shapes are a nicety: the graph still opens
        doc.shape_error = f"shape inference failed: {e}"
    if prefs is not None:  # the user's remembered choices for this content, and the inputs they give
        from c2core.backends import ModelSource
        from c2core.classify import chosen_preset

        doc.input_overrides, doc.preset = prefs(doc.fingerprint, model)
        try:
            crop = chosen_preset(ModelSource(model=model, path=model.predict_path), doc.preset or None)[0].crop
        except Exception:  # a broken model.json: the classify panel reports it when used
            crop = None
        doc.input_rows = (crop,) + tuple(resolve_rows(doc, crop))
    doc.open_seconds = time.perf_counter() - t0
    progress(1.0, "Opened")
    return doc
