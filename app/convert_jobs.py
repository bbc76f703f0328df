"""The conversions behind the Export/Convert menus, as job functions.

Each `make_*` returns `fn(progress, cancel) -> Report` for `app.jobs.Job`;
all real work is a c2core call (save_model, draw, export_onnx/verify,
OpenVINO IR, TensorRT plan, ONNX import). A `Report` lists what was written
and the verification numbers, for the dialog to show.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field


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


def save_caffe2_from_files(predict_path: str, init_path: str | None, folder: str, text: bool) -> list[str]:
    """`save_model` in a child process: the model is reopened from its files there."""
    from c2core.io import open_model
    from c2core.io.save import save_model

    return [p for p in save_model(open_model(predict_path, init_path=init_path), folder, text=text) if p]


def make_save_caffe2(model, folder: str, text: bool):
    def fn(progress, cancel):
        from c2core.io.save import save_model

        if not _on_disk(model):
            progress(0.1, "Reading weights…")
            model.weights  # noqa: B018  (materialise before writing)
        cancel.check()
        progress(0.5, f"Writing {'text' if text else 'binary'} Caffe2 files…")
        parent = os.path.dirname(os.path.abspath(folder))
        os.makedirs(parent, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".c2studio-", dir=parent) as tmp:
            if _on_disk(model):
                # serialising tens of MB of weights is one C call holding the GIL (~70 ms for
                # EfficientNet-Lite0, more on bigger nets): a child process keeps the GUI ticking
                from .subprocess_call import call_in_subprocess

                written = call_in_subprocess(save_caffe2_from_files, model.predict_path, model.init_path, tmp, text,
                                             cancel=cancel)
            else:
                written = [p for p in save_model(model, tmp, text=text) if p]
            cancel.check()  # a cancelled save leaves nothing behind
            os.makedirs(folder, exist_ok=True)
            final = []
            for p in written:
                dst = os.path.join(folder, os.path.basename(p))
                os.replace(p, dst)
                final.append(dst)
        return Report("Saved as Caffe2", final)
    return fn


def make_export_graph(model, path: str, fmt: str, rankdir: str = "TB", minimal: bool = False):
    def fn(progress, cancel):
        from c2core.draw import draw

        cancel.check()
        progress(None, f"Drawing with Graphviz ({fmt})…")
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".c2studio-", dir=folder) as tmp:
            staged = os.path.join(tmp, os.path.basename(path))
            draw(model, staged, fmt=fmt, rankdir=rankdir, minimal=minimal)
            cancel.check()  # Graphviz itself cannot be interrupted: a cancelled export writes nothing
            os.replace(staged, path)
        return Report(f"Graph exported as {fmt.upper()}", [path])
    return fn


def _export(model, path, opset, dynamic_batch, progress, cancel):
    from c2core.onnx import export_onnx

    return export_onnx(model, path, opset=opset, dynamic_batch=dynamic_batch, progress=progress, cancel=cancel)


def onnx_report(model, path: str, opset: int, dynamic_batch: bool, verify: bool, progress, cancel=None) -> Report:
    """Export (and verify) `model` to `path`: the work of Convert > ONNX."""
    from c2core.tasks import sub_progress

    t0 = time.perf_counter()
    _export(model, path, opset, dynamic_batch, sub_progress(progress, 0.0, 0.7 if verify else 1.0), cancel)
    rep = Report(f"Exported to ONNX (opset {opset}) in {time.perf_counter() - t0:.1f} s", [path])
    if verify:
        if cancel is not None:
            cancel.check()
        progress(0.75, "Verifying with ONNX Runtime against the executor…")
        from c2core.onnx import verify_onnx

        vr = verify_onnx(model, path)
        rep.lines += vr.format().splitlines()
        rep.ok = vr.ok
    return rep


def onnx_report_from_files(predict_path: str, init_path: str | None, path: str, opset: int, dynamic_batch: bool,
                           verify: bool, progress=None) -> Report:
    """`onnx_report` in a child process: the model is reopened from its files there."""
    from c2core.io import open_model

    progress(0.0, "Reading the model…")
    return onnx_report(open_model(predict_path, init_path=init_path), path, opset, dynamic_batch, verify, progress)


def make_onnx(model, path: str, opset: int = 17, dynamic_batch: bool = False, verify: bool = True):
    def fn(progress, cancel):
        if not _on_disk(model):  # in memory only: export on this worker thread
            return onnx_report(model, path, opset, dynamic_batch, verify, progress, cancel)
        # onnx.checker and ONNX Runtime's session set-up hold the GIL for 100+ ms on real nets:
        # a child process keeps the GUI thread ticking; Cancel kills it, the staging folder goes with it
        from .subprocess_call import call_in_subprocess

        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".c2studio-", dir=folder) as tmp:
            staged = os.path.join(tmp, os.path.basename(path))
            rep = call_in_subprocess(onnx_report_from_files, model.predict_path, model.init_path, staged, opset,
                                     dynamic_batch, verify, progress=progress, cancel=cancel)
            cancel.check()
            os.replace(staged, path)
        rep.outputs = [path]
        rep.lines = [ln.replace(staged, path) for ln in rep.lines]
        return rep
    return fn


def _on_disk(model) -> bool:
    return bool(model.predict_path) and os.path.isfile(model.predict_path) and model.formats.get("predict") != "minidb"


def openvino_ir(model, onnx_path: str, xml_path: str, precision: str, opset: int, progress, cancel=None):
    """Export to ONNX, then to IR (the work of Convert > OpenVINO); returns c2core's IRInfo."""
    from c2core.backends.openvino import convert_to_ir
    from c2core.tasks import sub_progress

    _export(model, onnx_path, opset, False, sub_progress(progress, 0.0, 0.6), cancel)
    if cancel is not None:
        cancel.check()
    progress(0.65, f"Converting to OpenVINO IR ({precision} weights)…")
    return convert_to_ir(onnx_path, xml_path, precision=precision)


def openvino_ir_from_files(predict_path, init_path, onnx_path, xml_path, precision, opset, progress=None):
    """`openvino_ir` in a child process: the model is reopened from its files there."""
    from c2core.io import open_model

    progress(0.0, "Reading the model…")
    return openvino_ir(open_model(predict_path, init_path=init_path), onnx_path, xml_path, precision, opset, progress)


def make_openvino(model, xml_path: str, precision: str = "fp32", opset: int = 17):
    def fn(progress, cancel):
        from .subprocess_call import call_in_subprocess

        folder = os.path.dirname(os.path.abspath(xml_path))
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".c2studio-", dir=folder) as tmp:
            onnx_path = os.path.join(tmp, "model.onnx")
            staged = os.path.join(tmp, os.path.basename(xml_path))
            # ONNX checking and OpenVINO's converter hold the GIL: both run in a child process
            if _on_disk(model):
                info = call_in_subprocess(openvino_ir_from_files, model.predict_path, model.init_path, onnx_path,
                                          staged, precision, opset, progress=progress, cancel=cancel)
            else:  # in memory only: export here, convert in the child
                from c2core.backends.openvino import convert_to_ir
                from c2core.tasks import sub_progress

                _export(model, onnx_path, opset, False, sub_progress(progress, 0.0, 0.6), cancel)
                cancel.check()
                progress(0.65, f"Converting to OpenVINO IR ({precision} weights)…")
                info = call_in_subprocess(convert_to_ir, onnx_path, staged, precision=precision, cancel=cancel)
            cancel.check()  # a cancelled conversion leaves nothing behind
            bin_path = os.path.splitext(xml_path)[0] + ".bin"
            os.replace(info.bin, bin_path)
            os.replace(info.xml, xml_path)
        rep = Report(f"OpenVINO IR written ({precision.upper()} weights)", [xml_path, bin_path])
        rep.lines.append(f"  inputs: {info.input_shapes}")
        return rep
    return fn


def _calibration_batches(model, folder: str, limit: int = 64):
    from c2core.backends import ModelSource
    from c2core.classify import list_images, load_image, resolve_preprocess

    src = ModelSource(model=model, batch=1)
    pre = resolve_preprocess(src)
    for p in list_images(folder)[:limit]:
        yield pre.apply(load_image(p))[None]


def make_tensorrt(model, plan_path: str, precision: str = "fp16", calib_folder: str | None = None, opset: int = 17):
    def fn(progress, cancel):
        from c2core.backends.tensorrt import build_plan
        from c2core.tasks import sub_progress

        with tempfile.TemporaryDirectory(prefix="c2studio-") as tmp:
            onnx_path = os.path.join(tmp, "model.onnx")
            _export(model, onnx_path, opset, False, sub_progress(progress, 0.0, 0.3), cancel)
            cancel.check()
            calib = _calibration_batches(model, calib_folder) if precision == "int8" and calib_folder else None
            info = build_plan(onnx_path, plan_path, precision=precision, calibration=calib,
                              progress=sub_progress(progress, 0.3, 1.0), cancel=cancel)
        return Report(f"TensorRT plan built ({precision})", [plan_path], [f"  {info}"])
    return fn


def import_onnx_files(onnx_path: str, folder: str, text: bool = False, progress=None) -> Report:
    """Convert > Import ONNX: write the Caffe2 pair (run in a child process: onnx checks hold the GIL)."""
    from c2core.onnx.importer import import_onnx

    progress(None, f"Importing {os.path.basename(onnx_path)}…")
    m = import_onnx(onnx_path, out_dir=folder, text=text)
    rep = Report(f"Imported ONNX as Caffe2 ({len(m.predict_net.op)} ops)",
                 sorted(os.path.join(folder, f) for f in os.listdir(folder)))
    rep.open_path = folder
    return rep


def make_import_onnx(onnx_path: str, folder: str, text: bool = False):
    def fn(progress, cancel):
        from .subprocess_call import call_in_subprocess

        cancel.check()
        return call_in_subprocess(import_onnx_files, onnx_path, folder, text, progress=progress, cancel=cancel)
    return fn
