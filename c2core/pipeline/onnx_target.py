"""Caffe2 -> ONNX: export into the staging folder, verify the staged file with ONNX Runtime
against the executor, publish it (with its external data) only when it passed."""

from __future__ import annotations

import os

from ..io.publish import Staging
from ..tasks import check_cancel, no_progress, sub_progress
from .common import Timer, open_source, output_folder, sidecar_moves
from .report import ConversionFailed, ConvertReport


def to_onnx(model, out_path: str, *, init_path: str | None = None, value_info: str | None = None,
            opset: int = 17, input_shapes: dict | None = None, dynamic_batch: bool = False, int8: str = "qdq",
            verify: bool = True, keep_failed: bool = False, inputs: dict | None = None, rtol: float = 1e-4,
            int_atol: float = 0, seed: int = 0, reference=None, external_data_threshold: int | None = None,
            samples: int | None = None, max_steps: float | None = None, progress=None, cancel=None) -> ConvertReport:
    """Write OUT.onnx (+ OUT.onnx.data past protobuf's limit), verified before it appears.

    model: a c2core Model or a path (predict net, model folder). reference: optional
    callable feeds -> outputs replacing the executor (tests). samples / max_steps: how
    approximate Int8 forms are judged (c2core.onnx.verify). Raises ConversionFailed
    (with the report) when verification fails; the file is then published only with
    keep_failed.
    """
    from ..onnx.export.net import export_onnx
    from ..onnx.save import EXTERNAL_DATA_THRESHOLD, stage_onnx
    from ..onnx.verify import _example_batch, _with_shapes, verify_onnx

    progress = progress or no_progress
    timer = Timer()
    model = open_source(model, init_path, value_info)
    threshold = EXTERNAL_DATA_THRESHOLD if external_data_threshold is None else external_data_threshold
    out_path = os.fspath(out_path)
    folder = output_folder(out_path)
    with Staging(folder, out_path) as st:
        with timer.stage("export"):
            proto = export_onnx(model, None, opset=opset, input_shapes=input_shapes or None,
                                dynamic_batch=dynamic_batch, int8=int8, external_data_threshold=threshold,
                                progress=sub_progress(progress, 0.0, 0.6 if verify else 0.9), cancel=cancel)
            moves = stage_onnx(proto, st, out_path, threshold)
        check_cancel(cancel)
        rep = ConvertReport("onnx", details={"opset": opset, "ir_version": int(proto.ir_version),
                                             "nodes": len(proto.graph.node),
                                             "initializers": len(proto.graph.initializer)})
        if verify:
            progress(0.65, "verifying with ONNX Runtime against the executor")
            checked = _with_shapes(model, input_shapes) if input_shapes else model
            with timer.stage("parity"):
                rep.parity = verify_onnx(checked, moves[-1][0], inputs, rtol, seed=seed, reference=reference,
                                         int_atol=int_atol, batch=_example_batch(input_shapes, checked),
                                         samples=samples, max_steps=max_steps)
        check_cancel(cancel)
        rep.seconds = timer.seconds
        if rep.ok or keep_failed:
            with timer.stage("publish"):
                side, note = sidecar_moves(model, st, out_path)
                if note:
                    rep.details["sidecar"] = note
                rep.outputs = [out_path] + [f for s, f in moves[:-1] + side if s is not None]
                st.publish(moves[:-1] + side + moves[-1:])
            rep.written = True
    progress(1.0, f"wrote {os.path.basename(out_path)}" if rep.written else "verification failed: nothing written")
    if not rep.ok:
        raise ConversionFailed(rep, out_path, kept=keep_failed)
    return rep
