"""What every target shares: open the source, the staging folder, parity against the executor.

A target module is stage -> export/build -> parity -> publish written with
these pieces; nothing here knows a target's format.
"""

from __future__ import annotations

import os
import time

import numpy as np

from ..errors import C2Error
from ..tasks import check_cancel



def open_source(model, init_path: str | None = None, value_info: str | None = None):
    """A c2core Model from a Model or a path (predict net, model folder, minidb):
    the entry points take paths so the app can call them in a child process."""
    if not isinstance(model, (str, os.PathLike)):
        model.require_weights()
        return model
    from ..io import open_model

    m = open_model(os.fspath(model), init_path=init_path, value_info=value_info)
    m.require_weights()
    if m.structure_only:
        raise C2Error("the model has no weights (structure-only net): give its init net with --init", os.fspath(model))
    return m


def output_folder(out_path: str) -> str:
    from ..io.save import output_target

    return output_target(out_path)[1]


class Timer:
    """Wall time per stage, for ConvertReport.seconds."""

    def __init__(self):
        self.seconds: dict = {}

    def stage(self, name: str):
        timer = self

        class _Stage:
            def __enter__(self):
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                timer.seconds[name] = round(timer.seconds.get(name, 0.0) + time.perf_counter() - self.t0, 4)

        return _Stage()


def parity_inputs(src, seed: int, inputs: dict | None) -> dict:
    """The arrays both sides run on: seeded random ones, with the user's (.npy, image, array) by name."""
    full = src.example_inputs(seed)
    if not inputs:
        return full
    from ..preprocess.presets import from_sidecar
    from ..onnx.verify import load_input

    pre = from_sidecar(src.sidecar())
    for name, value in inputs.items():
        if name not in full:
            raise C2Error(f"'{name}' is not a data input (inputs: {', '.join(full)})", "--input")
        arr, _ = load_input(value, tuple(full[name].shape), full[name].dtype, pre)
        if tuple(arr.shape) != tuple(full[name].shape):
            raise C2Error(f"input '{name}' has shape {list(arr.shape)}, the model expects {list(full[name].shape)}",
                          value if isinstance(value, str) else "--input")
        full[name] = np.asarray(arr)
    return full


def engine_parity(src, artifact_path: str, backend: str, precision: str, rtol, seed: int, cancel,
                  inputs: dict | None = None):
    """The executor vs the built artifact (run through its backend) on the same inputs:
    a `parity.ParityReport` (one report type for every target)."""
    from ..backends import ModelSource, create
    from ..parity import ParityReport, compare_all, tolerance

    feeds = parity_inputs(src, seed, inputs)
    shapes = src.input_shapes()
    first = next(iter(shapes.values()), None)
    artifact = ModelSource(path=artifact_path, batch=int(first[0]) if first else None)
    tol = tolerance(precision, rtol)
    spec = backend if precision == "fp32" else f"{backend}:{precision}"
    report = ParityReport(rtol=tol, inputs={k: tuple(v.shape) for k, v in feeds.items()}, reference="c2core executor",
                          runtime=spec, precision=precision)
    check_cancel(cancel)
    t0 = time.perf_counter()
    with create("c2") as be:
        be.prepare(src)
        ref = be.run({k: v.copy() for k, v in feeds.items()})
    t1 = time.perf_counter()
    check_cancel(cancel)
    try:
        with create(spec) as be:
            be.prepare(artifact)
            got = be.run(feeds)
    except C2Error as e:
        report.error = e.reason
        return report
    except Exception as e:  # the engine's own exception is the verdict on this artifact
        report.error = f"{type(e).__name__}: {e}"
        return report
    report.seconds = {"reference": t1 - t0, backend: time.perf_counter() - t1}
    report.outputs = compare_all(got, ref, tol)
    return report


def sidecar_moves(model, st, out_path: str) -> tuple[list, str]:
    """Publish moves that put the source model's model.json (and a labels file it names)
    beside a converted artifact, so classify reads the same preprocessing and labels there.

    Nothing when the source has no sidecar or the output is in the source's folder; an
    output folder holding a different model.json keeps it (the returned note says so).
    """
    from ..io.sidecar import SIDECAR, read_sidecar, sidecar_bytes, sidecar_path

    src_path = getattr(model, "predict_path", None)
    if not src_path or not os.path.exists(src_path):
        return [], ""
    src_side = sidecar_path(src_path)
    data = read_sidecar(src_path)
    out_dir = os.path.dirname(os.path.abspath(out_path))
    if not data or os.path.dirname(src_side) == out_dir:
        return [], ""
    new = sidecar_bytes(data)
    dst = os.path.join(out_dir, SIDECAR)
    if os.path.exists(dst):
        with open(dst, "rb") as f:
            if f.read() != new:
                return [], f"kept the {SIDECAR} already in {out_dir} (it differs from the source model's)"
    moves = []
    labels = data.get("labels")
    if isinstance(labels, str) and not os.path.isabs(labels) and os.path.basename(labels) == labels:
        from ..classify.labels import confined

        try:  # a link in the model's folder pointing elsewhere is not the model's file
            src_labels = confined(labels, os.path.dirname(src_side), "labels")
        except C2Error:
            src_labels = ""
        if src_labels and os.path.isfile(src_labels) and not os.path.exists(os.path.join(out_dir, labels)):
            with open(src_labels, "rb") as f, open(st.path(labels), "wb") as g:
                g.write(f.read())
            moves.append((st.path(labels), os.path.join(out_dir, labels)))
    with open(st.path(SIDECAR), "wb") as f:
        f.write(new)
    moves.append((st.path(SIDECAR), dst))
    return moves, f"{SIDECAR} published beside the output"
