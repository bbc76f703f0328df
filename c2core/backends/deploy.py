"""Caffe2 -> OpenVINO IR / TensorRT plan, verified against the executor.

The headless jobs behind `c2core convert --to openvino|tensorrt` and the GUI's
convert dialog: `fn(..., progress, cancel)` functions that a `tasks.Task`
runs. Both go Caffe2 -> ONNX (c2core.onnx.export) -> engine artifact, write
it into a staging folder beside the output, run it against the executor on
the same seeded inputs (the parity report, `compare.CompareReport`) and move
it into place only when it is within tolerance (or when `keep_failed`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from ..errors import C2Error
from ..tasks import check_cancel, no_progress, sub_progress
from .source import ModelSource


class ParityFailed(C2Error):
    """The converted model differs from the executor beyond tolerance."""

    def __init__(self, report, path):
        self.report = report
        names = ", ".join(r.backend for r in report.failures)
        super().__init__(f"converted model differs from the executor beyond tolerance ({names})", path)


@dataclass
class DeployResult:
    outputs: list  # files written
    precision: str
    report: object = None  # compare.CompareReport or None (verification skipped)
    details: dict = field(default_factory=dict)


def _tolerance(precision: str, rtol: float | None) -> dict:
    """fp32: the user's rtol. fp16/int8: never below that precision's default (inexact by design)."""
    from ..compare import DEFAULT_RTOL

    tol = DEFAULT_RTOL[precision]
    if rtol is None:
        return {precision: tol}
    return {precision: rtol if precision == "fp32" else max(tol, rtol)}


def _stage(out_path: str) -> str:
    from ..io.save import output_target

    _, folder = output_target(out_path)
    try:
        return tempfile.mkdtemp(prefix=".c2core-stage-", dir=folder)
    except OSError as e:
        raise C2Error(f"cannot write here: {e.strerror or e}", out_path) from None


@contextlib.contextmanager
def _exported(out_path: str, model, input_shapes, opset: int, dynamic_batch: bool, progress, cancel):
    """(staging folder beside `out_path`, the open ModelSource, its ONNX file):
    the first step every deployment target shares. The folder is removed after."""
    stage = _stage(out_path)
    try:
        with ModelSource(model=model, input_shapes=input_shapes, opset=opset, dynamic_batch=dynamic_batch,
                         progress=progress, cancel=cancel) as src:
            progress(0.0, "exporting ONNX")
            yield stage, src, src.onnx_path()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move(staged: list[tuple[str, str]]) -> None:
    for src, dst in staged:
        os.replace(src, dst)


def _publish(res: DeployResult, staged: list[tuple[str, str]], keep_failed: bool, progress) -> DeployResult:
    """Move the staged files onto `res.outputs` (staged pairs: (staged, final), the
    first final path being the one named in errors) when the parity check passed or
    was skipped. A failed check raises ParityFailed, after moving them only with
    `keep_failed` (written but still a failure)."""
    out = staged[0][1]
    failed = res.report is not None and not res.report.ok
    if failed and not keep_failed:
        raise ParityFailed(res.report, out)
    _move(staged)
    progress(1.0, f"wrote {os.path.basename(out)}")
    if failed:
        raise ParityFailed(res.report, out)
    return res


def to_openvino(model, out_xml: str, precision: str = "fp32", dynamic_batch: bool = False,
                input_shapes: dict | None = None, opset: int = 17, verify: bool = True, rtol: float | None = None,
                seed: int = 0, keep_failed: bool = False, progress=None, cancel=None,
                inputs: dict | None = None) -> DeployResult:
    """Write OUT.xml + OUT.bin (weights FP32 or FP16, as asked) and check them against the executor."""
    from .openvino import convert_to_ir

    progress = progress or no_progress
    if not out_xml.lower().endswith(".xml"):
        raise C2Error("OpenVINO IR output must end in .xml (the .bin is written beside it)", out_xml)
    with _exported(out_xml, model, input_shapes, opset, dynamic_batch, sub_progress(progress, 0.0, 0.5),
                   cancel) as (stage, src, onnx_path):
        check_cancel(cancel)
        progress(0.5, f"converting to OpenVINO IR ({precision} weights)")
        xml = os.path.join(stage, "model.xml")
        info = convert_to_ir(onnx_path, xml, precision=precision, dynamic_batch=dynamic_batch)
        check_cancel(cancel)
        report = None
        if verify:
            progress(0.7, "checking parity with the executor")
            report = _parity(src, xml, "openvino", precision, rtol, seed, cancel, inputs)
        base = os.path.splitext(out_xml)[0]
        res = DeployResult([out_xml, base + ".bin"], precision, report,
                           {"bin_bytes": info.bin_bytes, "dynamic_batch": dynamic_batch, "input_shapes": info.input_shapes})
        return _publish(res, [(xml, out_xml), (os.path.splitext(xml)[0] + ".bin", base + ".bin")], keep_failed, progress)


def to_tensorrt(model, out_plan: str, precision: str = "fp32", dynamic_batch: bool = False,
                batch_range: tuple | None = None, input_shapes: dict | None = None, opset: int = 17,
                workspace_mb: int = 1024, timing_cache: str | None = None, calib_dir: str | None = None,
                calib_batch: int = 8, verify: bool = True, rtol: float | None = None, seed: int = 0,
                keep_failed: bool = False, progress=None, cancel=None, inputs: dict | None = None) -> DeployResult:
    """Build OUT.plan + OUT.plan.json with TensorRT and check it against the executor."""
    from .tensorrt import build_plan, sidecar_path, trt_availability

    progress = progress or no_progress
    av = trt_availability()
    if not av.ok:
        raise C2Error(f"TensorRT is not available here: {av.reason}")
    if dynamic_batch and batch_range is None:
        batch_range = (1, 1, 32)
    with _exported(out_plan, model, input_shapes, opset, dynamic_batch, sub_progress(progress, 0.0, 0.2),
                   cancel) as (stage, src, onnx_path):
        calib = None
        if precision == "int8":
            if not calib_dir:
                raise C2Error("--precision int8 needs calibration images: --calib FOLDER")
            from .calibration import CalibrationBatches

            calib = CalibrationBatches.for_source(calib_dir, src, batch_size=calib_batch)
        plan = os.path.join(stage, "model.plan")
        info = build_plan(onnx_path, plan, precision, workspace_mb=workspace_mb, timing_cache=timing_cache,
                          batch_range=batch_range if dynamic_batch else None, calibration=calib,
                          calibration_cache=os.path.join(stage, "calibration.cache") if calib else None,
                          progress=sub_progress(progress, 0.2, 0.8), cancel=cancel)
        report = None
        if verify:
            progress(0.8, "checking parity with the executor")
            report = _parity(src, plan, "tensorrt", precision, rtol, seed, cancel, inputs)
        res = DeployResult([out_plan, sidecar_path(out_plan)], precision, report, {"plan": info})
        return _publish(res, [(plan, out_plan), (sidecar_path(plan), sidecar_path(out_plan))], keep_failed, progress)


def _batch_of(src: ModelSource) -> int | None:
    shapes = src.input_shapes()
    first = next(iter(shapes.values()), None)
    return int(first[0]) if first else None


def _parity(src: ModelSource, artifact_path: str, backend: str, precision: str, rtol, seed: int, cancel,
            inputs: dict | None = None):
    """Executor vs the built artifact at `artifact_path` (run at the source's batch) on
    `inputs` (given arrays by name), else seeded random ones."""
    artifact = ModelSource(path=artifact_path, batch=_batch_of(src))
    from ..compare import compare_backends

    if inputs:
        from ..preprocess.presets import from_sidecar
        from ..onnx.verify import load_input

        full = src.example_inputs(seed)
        pre = from_sidecar(src.sidecar())
        for name, value in inputs.items():
            if name not in full:
                raise C2Error(f"'{name}' is not a data input (inputs: {', '.join(full)})", "--input")
            arr, _ = load_input(value, tuple(full[name].shape), full[name].dtype, pre)
            if tuple(arr.shape) != tuple(full[name].shape):
                raise C2Error(f"input '{name}' has shape {list(arr.shape)}, the model expects {list(full[name].shape)}",
                              value if isinstance(value, str) else "--input")
            full[name] = arr
        inputs = full
    spec = backend if precision == "fp32" else f"{backend}:{precision}"
    return compare_backends(src, [spec], reference="c2", inputs=inputs or None, seed=seed,
                            tolerances=_tolerance(precision, rtol), sources={spec: artifact}, cancel=cancel)
