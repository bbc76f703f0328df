"""The conversions behind the Export/Convert menus, as job functions.

Each `make_*` returns `fn(progress, cancel) -> Report` for `app.jobs.Job`.
Every conversion is one call of a `c2core.pipeline` entry point (stage ->
export/build -> parity -> publish, the same code the CLI and `batch` run);
this module only chooses where it runs and turns the pipeline's
`ConvertReport` into the lines the dialog shows. A model on disk is converted
in a child process (onnx.checker, ONNX Runtime and OpenVINO hold the GIL for
long stretches; Cancel kills the child and its staging folder is swept).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

from c2core.errors import Cancelled


@dataclass
class Report:
    title: str
    outputs: list = field(default_factory=list)  # paths written
    lines: list = field(default_factory=list)  # human-readable details
    ok: bool = True
    open_path: str | None = None  # a model the app may open (import)

    def text(self) -> str:
        out = [self.title]
        out += [f"  wrote {p} ({_size(p)})" for p in self.outputs]
        out += self.lines
        return "\n".join(out)


def _size(p: str) -> str:
    try:
        n = os.path.getsize(p)
    except OSError:
        return "?"
    return f"{n / 1e6:.2f} MB" if n > 1e5 else f"{n:,} B"


def _on_disk(model) -> bool:
    return bool(model.predict_path) and os.path.isfile(model.predict_path) and model.formats.get("predict") != "minidb"


def _run(entry, model, out: str, progress, cancel, **options):
    """`entry(model, out, **options)` of c2core.pipeline -> its ConvertReport (also when the
    parity check failed: nothing was written then, and the report says why)."""
    from c2core.io.publish import sweep
    from c2core.pipeline import ConversionFailed

    from .subprocess_call import call_in_subprocess

    try:
        if _on_disk(model):
            return call_in_subprocess(entry, model.predict_path, out, init_path=model.init_path, progress=progress,
                                      cancel=cancel, **options)
        return entry(model, out, progress=progress, cancel=cancel, **options)
    except ConversionFailed as e:
        return e.report
    except Cancelled:
        sweep(os.path.dirname(os.path.abspath(out)))  # the killed child's staging folder
        raise


def _report(rep, title: str) -> Report:
    if rep.written and rep.ok:
        head = title
    elif rep.written:
        head = f"{title}: verification FAILED (kept)"
    else:
        head = f"{title.split(' (')[0]}: verification FAILED, nothing was written"
    lines = []
    if rep.parity is not None:
        lines += rep.parity.format().splitlines()
    else:
        lines.append("  verification skipped")
    return Report(head, list(rep.outputs), lines, ok=rep.ok)


def make_save_caffe2(model, folder: str, text: bool):
    def fn(progress, cancel):
        from c2core.pipeline import save_caffe2

        rep = _run(save_caffe2, model, folder, progress, cancel, text=text)
        return Report("Saved as Caffe2", list(rep.outputs))
    return fn


def make_export_graph(model, path: str, fmt: str, rankdir: str = "TB", minimal: bool = False):
    def fn(progress, cancel):
        from c2core.draw import draw
        from c2core.io.save import write_bytes

        cancel.check()
        progress(None, f"Drawing with Graphviz ({fmt})…")
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".c2studio-", dir=folder) as tmp:
            staged = os.path.join(tmp, os.path.basename(path))
            draw(model, staged, fmt=fmt, rankdir=rankdir, minimal=minimal)
            cancel.check()  # Graphviz itself cannot be interrupted: a cancelled export writes nothing
            with open(staged, "rb") as f:  # published by the core's atomic writer (the app renames nothing)
                write_bytes(path, f.read())
        return Report(f"Graph exported as {fmt.upper()}", [path])
    return fn


def make_onnx(model, path: str, opset: int = 17, dynamic_batch: bool = False, verify: bool = True,
              input_shapes: dict | None = None):
    def fn(progress, cancel):
        from c2core.pipeline import to_onnx

        rep = _run(to_onnx, model, path, progress, cancel, opset=opset, dynamic_batch=dynamic_batch, verify=verify,
                   input_shapes=input_shapes or None)
        s = rep.seconds
        took = sum(v for k, v in s.items() if k in ("export", "parity", "publish"))
        return _report(rep, f"Exported to ONNX (opset {opset}) in {took:.1f} s")
    return fn


def make_openvino(model, xml_path: str, precision: str = "fp32", opset: int = 17, input_shapes: dict | None = None):
    def fn(progress, cancel):
        from c2core.pipeline import to_openvino

        rep = _run(to_openvino, model, xml_path, progress, cancel, precision=precision, opset=opset,
                   input_shapes=input_shapes or None)
        r = _report(rep, f"OpenVINO IR written ({precision.upper()} weights)")
        if rep.written:
            r.lines.insert(0, f"  inputs: {rep.details.get('input_shapes')}")
        return r
    return fn


def make_tensorrt(model, plan_path: str, precision: str = "fp16", calib_folder: str | None = None, opset: int = 17,
                  input_shapes: dict | None = None):
    def fn(progress, cancel):
        from c2core.pipeline import to_tensorrt

        rep = _run(to_tensorrt, model, plan_path, progress, cancel, precision=precision, calib_dir=calib_folder,
                   opset=opset, input_shapes=input_shapes or None)
        r = _report(rep, f"TensorRT plan built ({precision})")
        if rep.written:
            r.lines.insert(0, f"  {rep.details.get('plan')}")
        return r
    return fn


def make_import_onnx(onnx_path: str, folder: str, text: bool = False):
    def fn(progress, cancel):
        from c2core.pipeline import import_onnx_model

        from .subprocess_call import call_in_subprocess

        cancel.check()
        try:
            rep = call_in_subprocess(import_onnx_model, onnx_path, folder, text, progress=progress, cancel=cancel)
        except Cancelled:
            from c2core.io.publish import sweep

            sweep(folder)
            raise
        r = Report(f"Imported ONNX as Caffe2 ({rep.details['ops']} ops)", list(rep.outputs))
        r.open_path = folder
        return r
    return fn
