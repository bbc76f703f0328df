"""The one conversion pipeline: stage -> export/build -> parity check -> publish.

One entry point per target, each taking paths (or a Model) and options and
returning one `ConvertReport`; a failed parity check raises `ConversionFailed`
(carrying the report) with nothing written unless keep_failed:

- `to_onnx(model, out.onnx, ...)`            ONNX (+ external data), verified in ONNX Runtime
- `to_openvino(model, out.xml, precision)`   OpenVINO IR .xml + .bin
- `to_tensorrt(model, out.plan, precision)`  TensorRT plan + sidecar
- `save_caffe2(model, folder, text)`         predict_net + init_net
- `import_onnx_model(model.onnx, folder)`    ONNX -> Caffe2 predict/init/value_info

The CLI (`convert`, `import-onnx`), `batch` (through the CLI, one process per
job) and the app's convert jobs all call these; parity is c2core.parity,
publishing is c2core.io.publish. Heavy imports stay inside the functions.
"""

from __future__ import annotations

from .report import ConversionFailed, ConvertReport

TARGETS = ("onnx", "openvino", "tensorrt")


def to_onnx(model, out_path, **kw) -> ConvertReport:
    from .onnx_target import to_onnx as run

    return run(model, out_path, **kw)


def to_openvino(model, out_xml, precision: str = "fp32", **kw) -> ConvertReport:
    from .engine_targets import to_openvino as run

    return run(model, out_xml, precision, **kw)


def to_tensorrt(model, out_plan, precision: str = "fp32", **kw) -> ConvertReport:
    from .engine_targets import to_tensorrt as run

    return run(model, out_plan, precision, **kw)


def save_caffe2(model, folder, text: bool = False, **kw) -> ConvertReport:
    from .caffe2_target import save_caffe2 as run

    return run(model, folder, text, **kw)


def import_onnx_model(onnx_path, folder, text: bool = False, **kw) -> ConvertReport:
    from .caffe2_target import import_onnx_model as run

    return run(onnx_path, folder, text, **kw)


__all__ = ["ConvertReport", "ConversionFailed", "TARGETS", "to_onnx", "to_openvino", "to_tensorrt", "save_caffe2",
           "import_onnx_model"]
