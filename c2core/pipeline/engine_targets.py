"""Caffe2 -> OpenVINO IR (.xml + .bin) and -> TensorRT plan (+ sidecar JSON).

Both go: stage (a folder beside the output) -> ONNX export (c2core.onnx, into
the staging folder) -> the engine's artifact (c2core.backends.openvino /
.tensorrt build it; no engine logic lives here) -> parity against the
executor on the same inputs -> publish every file together, only when within
tolerance (or with keep_failed).
"""

from __future__ import annotations

import contextlib
import os

from ..errors import C2Error
from ..io.publish import Staging
from ..tasks import check_cancel, no_progress, sub_progress
from .common import Timer, engine_parity, open_source, output_folder, sidecar_moves
from .report import ConversionFailed, ConvertReport


def _finish(rep: ConvertReport, st: Staging, moves: list, keep_failed: bool, timer: Timer, progress,
            model=None) -> None:
    """Publish the artifact's files (root last), the source's model.json beside them."""
    if rep.ok or keep_failed:
        with timer.stage("publish"):
            side, note = sidecar_moves(model, st, moves[-1][1])
            if note:
                rep.details["sidecar"] = note
            st.publish(moves[:-1] + side + moves[-1:])
        rep.outputs = [f for _, f in moves] + [f for _, f in side]
        rep.written = True
    rep.seconds = timer.seconds
    progress(1.0, f"wrote {os.path.basename(moves[-1][1])}" if rep.written else "parity check failed: nothing written")


@contextlib.contextmanager
def _staged_export(model, out_path, input_shapes, opset, dynamic_batch, progress, cancel, timer: Timer):
    """The stages every engine target starts with: a staging folder beside the output, the
    model's ONNX export in it (its ModelSource, for the parity check later). Yields (staging,
    source, onnx path); the folder goes afterwards, published or not."""
    from ..backends import ModelSource

    with Staging(output_folder(out_path), out_path) as st, \
            ModelSource(model=model, input_shapes=input_shapes, opset=opset, dynamic_batch=dynamic_batch,
                        workdir=os.path.join(st.dir, "work"), progress=progress, cancel=cancel) as src:
        with timer.stage("export"):
            progress(0.0, "exporting ONNX")
            onnx_path = src.onnx_path()
        check_cancel(cancel)
        yield st, src, onnx_path


def to_openvino(model, out_xml: str, precision: str = "fp32", *, init_path: str | None = None,
                value_info: str | None = None, dynamic_batch: bool = False, input_shapes: dict | None = None,
                opset: int = 17, verify: bool = True, rtol: float | None = None, seed: int = 0,
                keep_failed: bool = False, inputs: dict | None = None, progress=None, cancel=None) -> ConvertReport:
    """Write OUT.xml + OUT.bin (weights FP32 or FP16, as asked), checked against the executor first."""
    from ..backends.openvino import convert_to_ir

    progress = progress or no_progress
    out_xml = os.fspath(out_xml)
    if precision not in ("fp32", "fp16"):
        raise C2Error(f"OpenVINO IR weights are fp32 or fp16, not {precision}", "--precision")
    if not out_xml.lower().endswith(".xml"):
        raise C2Error("OpenVINO IR output must end in .xml (the .bin is written beside it)", out_xml)
    model = open_source(model, init_path, value_info)
    timer = Timer()
    with _staged_export(model, out_xml, input_shapes, opset, dynamic_batch, sub_progress(progress, 0.0, 0.5), cancel,
                        timer) as (st, src, onnx_path):
        progress(0.5, f"converting to OpenVINO IR ({precision} weights)")
        xml = st.path("model.xml")
        with timer.stage("build"):
            info = convert_to_ir(onnx_path, xml, precision=precision, dynamic_batch=dynamic_batch)
        check_cancel(cancel)
        rep = ConvertReport("openvino", precision=precision,
                            details={"bin_bytes": info.bin_bytes, "dynamic_batch": dynamic_batch,
                                     "input_shapes": info.input_shapes})
        if verify:
            progress(0.7, "checking parity with the executor")
            with timer.stage("parity"):
                rep.parity = engine_parity(src, xml, "openvino", precision, rtol, seed, cancel, inputs)
        check_cancel(cancel)
        base = os.path.splitext(out_xml)[0]
        _finish(rep, st, [(info.bin, base + ".bin"), (xml, out_xml)], keep_failed, timer, progress, model)
    if rep.written:
        rep.outputs = [out_xml, base + ".bin"] + rep.outputs[2:]  # the .xml first, as always
    if not rep.ok:
        raise ConversionFailed(rep, out_xml, kept=keep_failed)
    return rep


def to_tensorrt(model, out_plan: str, precision: str = "fp32", *, init_path: str | None = None,
                value_info: str | None = None, dynamic_batch: bool = False, batch_range: tuple | None = None,
                input_shapes: dict | None = None, opset: int = 17, workspace_mb: int = 1024,
                timing_cache: str | None = None, calib_dir: str | None = None, calib_batch: int = 8,
                verify: bool = True, rtol: float | None = None, seed: int = 0, keep_failed: bool = False,
                inputs: dict | None = None, progress=None, cancel=None) -> ConvertReport:
    """Build OUT.plan + OUT.plan.json with TensorRT (c2core.backends.tensorrt), checked against
    the executor before either file appears. int8 calibrates on `calib_dir` images with the
    model's preprocessing (c2core.backends.calibration)."""
    from ..backends import tensorrt

    progress = progress or no_progress
    out_plan = os.fspath(out_plan)
    av = tensorrt.trt_availability()
    if not av.ok:
        raise C2Error(f"TensorRT is not available here: {av.reason}", "--to")
    if precision == "int8" and not calib_dir:
        raise C2Error("--precision int8 needs calibration images: --calib FOLDER")
    if dynamic_batch and batch_range is None:
        batch_range = (1, 1, 32)
    model = open_source(model, init_path, value_info)
    timer = Timer()
    with _staged_export(model, out_plan, input_shapes, opset, dynamic_batch, sub_progress(progress, 0.0, 0.2), cancel,
                        timer) as (st, src, onnx_path):
        calib = None
        if precision == "int8":
            from ..backends.calibration import CalibrationBatches

            calib = CalibrationBatches.for_source(calib_dir, src, batch_size=calib_batch)
        plan = st.path("model.plan")
        with timer.stage("build"):
            info = tensorrt.build_plan(onnx_path, plan, precision, workspace_mb=workspace_mb, timing_cache=timing_cache,
                                       batch_range=batch_range if dynamic_batch else None, calibration=calib,
                                       calibration_cache=st.path("calibration.cache") if calib else None,
                                       progress=sub_progress(progress, 0.2, 0.8), cancel=cancel)
        check_cancel(cancel)
        rep = ConvertReport("tensorrt", precision=precision, details={"plan": info})
        if verify:
            progress(0.8, "checking parity with the executor")
            with timer.stage("parity"):
                rep.parity = engine_parity(src, plan, "tensorrt", precision, rtol, seed, cancel, inputs)
        check_cancel(cancel)
        moves = [(tensorrt.sidecar_path(plan), tensorrt.sidecar_path(out_plan)), (plan, out_plan)]
        _finish(rep, st, moves, keep_failed, timer, progress, model)
    if rep.written:
        rep.outputs = [out_plan, tensorrt.sidecar_path(out_plan)] + rep.outputs[2:]
    if not rep.ok:
        raise ConversionFailed(rep, out_plan, kept=keep_failed)
    return rep
