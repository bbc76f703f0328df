"""Caffe2 files out: save a model as a predict/init pair, import an ONNX model as one.

Both publish every file of the result together (c2core.io.publish): a folder
never holds a new predict net beside an old init net.
"""

from __future__ import annotations

import os

from ..tasks import check_cancel, no_progress
from .common import Timer
from .report import ConvertReport


def save_caffe2(model, folder: str, text: bool = False, *, init_path: str | None = None,
                progress=None, cancel=None) -> ConvertReport:
    """Write predict_net/init_net (.pb or .pbtxt) into `folder`. model: a Model or a path."""
    from ..io import open_model
    from ..io.save import save_model

    progress = progress or no_progress
    timer = Timer()
    if isinstance(model, (str, os.PathLike)):
        model = open_model(os.fspath(model), init_path=init_path)
    check_cancel(cancel)
    progress(0.1, f"writing {'text' if text else 'binary'} Caffe2 files")
    with timer.stage("publish"):
        written = [p for p in save_model(model, os.fspath(folder), text=text, cancel=cancel) if p]
    progress(1.0, "saved")
    return ConvertReport("caffe2", outputs=written, written=True, seconds=timer.seconds,
                         details={"ops": len(model.predict_net.op)})


def import_onnx_model(onnx_path: str, folder: str, text: bool = False, *, input_shapes: dict | None = None,
                      names: str = "readable", progress=None, cancel=None) -> ConvertReport:
    """ONNX -> predict_net + init_net (none for a model without weights) + value_info.json in `folder`."""
    from ..onnx.importer import import_onnx

    progress = progress or no_progress
    timer = Timer()
    check_cancel(cancel)
    progress(None, f"importing {os.path.basename(onnx_path)}")
    with timer.stage("import"):
        m = import_onnx(os.fspath(onnx_path), out_dir=os.fspath(folder), text=text, input_shapes=input_shapes,
                        names=names)
    outputs = [p for p in (m.predict_path, m.init_path, os.path.join(os.fspath(folder), "value_info.json")) if p]
    shapes = {k: list(v[1]) for k, v in m.value_info.items()}
    rep = ConvertReport("import", outputs=outputs, written=True, seconds=timer.seconds,
                        details={"ops": len(m.predict_net.op), "op_types": dict(m.op_types()),
                                 "parameters": int(m.num_parameters), "inputs": shapes or list(m.data_inputs),
                                 "outputs": list(m.external_outputs)})
    progress(1.0, "imported")
    return rep
