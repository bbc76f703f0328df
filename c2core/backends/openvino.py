"""OpenVINO: ONNX -> IR (.xml + .bin) with an explicit weight precision, run on CPU.

`openvino.save_model()` compresses weights to FP16 unless told otherwise,
which silently moves ImageNet logits by ~1e-1. Here the precision is always a
choice the caller makes: `convert_to_ir(..., precision="fp32")` passes
`compress_to_fp16=False`, "fp16" passes True, and the report says which.

On CPU the compiled model is pinned to FP32 arithmetic
(`INFERENCE_PRECISION_HINT=f32`): without it OpenVINO picks bf16 on CPUs with
AMX/AVX512-BF16, which breaks parity with the executor. "fp16" therefore
means FP16 *weights* (half the .bin), decompressed to FP32 for compute on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import C2Error
from .base import Availability, Backend


@dataclass
class IRInfo:
    xml: str
    bin: str
    precision: str
    dynamic_batch: bool
    input_shapes: dict = field(default_factory=dict)  # name -> list, -1 for dynamic
    bin_bytes: int = 0


def _ov():
    import openvino as ov

    return ov


def convert_to_ir(onnx_path: str, xml_path: str, precision: str = "fp32", dynamic_batch: bool = False,
                  input_shapes: dict | None = None) -> IRInfo:
    """Write `xml_path` (+ .bin) from an ONNX file; precision 'fp32' or 'fp16' weights."""
    if precision not in ("fp32", "fp16"):
        raise C2Error(f"OpenVINO IR precision must be fp32 or fp16, not '{precision}'")
    ov = _ov()
    model = ov.convert_model(onnx_path)
    new_shapes = {}
    for inp in model.inputs:
        name = inp.get_any_name()
        ps = inp.get_partial_shape()
        dims = [d.get_length() if d.is_static else -1 for d in ps] if ps.rank.is_static else []
        if input_shapes and name in input_shapes:
            dims = [int(d) for d in input_shapes[name]]
        if dynamic_batch and dims:
            dims[0] = -1
        new_shapes[name] = dims
    if dynamic_batch or input_shapes:
        model.reshape({n: ov.PartialShape(d) for n, d in new_shapes.items() if d})
    os.makedirs(os.path.dirname(os.path.abspath(xml_path)), exist_ok=True)
    ov.save_model(model, xml_path, compress_to_fp16=(precision == "fp16"))
    bin_path = os.path.splitext(xml_path)[0] + ".bin"
    return IRInfo(xml=xml_path, bin=bin_path, precision=precision, dynamic_batch=dynamic_batch,
                  input_shapes=new_shapes, bin_bytes=os.path.getsize(bin_path) if os.path.exists(bin_path) else 0)


class OpenVinoBackend(Backend):
    name = "openvino"
    precisions = ("fp32", "fp16", "int8")  # int8: NNCF post-training quantization, options calib/calib_count

    @classmethod
    def availability(cls) -> Availability:
        try:
            ov = _ov()
        except ImportError:
            return Availability(False, "Python package 'openvino' is not installed")
        try:
            devices = ov.Core().available_devices
        except Exception as e:  # a broken install: say so rather than crash later
            return Availability(False, f"OpenVINO runtime cannot start: {e}")
        if "CPU" not in devices:
            return Availability(False, f"OpenVINO sees no CPU device (devices: {', '.join(devices) or 'none'})")
        return Availability(True, "", ov.__version__.split("-")[0])

    def _prepare(self, source) -> None:
        ov = _ov()
        if source.kind == "openvino":
            xml = source.path
        elif self.precision == "int8":
            from ..quantize.cache import cached_int8

            xml = cached_int8(source, "openvino", self.options.get("calib"), self.options.get("calib_count", 300),
                              progress=source.progress, cancel=source.cancel)
        else:
            xml = os.path.join(source.workdir, f"openvino-{self.precision}", "model.xml")
            if not os.path.exists(xml):
                convert_to_ir(source.onnx_path(), xml, precision=self.precision)
        core = ov.Core()
        model = core.read_model(xml)
        if source.batch is not None and source.kind == "openvino":
            model.reshape({i.get_any_name(): ov.PartialShape([source.batch] + list(i.get_partial_shape())[1:])
                           for i in model.inputs})
        config = {"INFERENCE_PRECISION_HINT": "f32"}
        threads = self.options.get("threads")
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        self._compiled = core.compile_model(model, "CPU", config)
        self._request = self._compiled.create_infer_request()
        self.input_names = [i.get_any_name() for i in self._compiled.inputs]
        self.output_names = [o.get_any_name() for o in self._compiled.outputs]
        self.ir_path = xml

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        res = self._request.infer({n: a.astype(np.float32) if a.dtype.kind == "f" else a for n, a in inputs.items()})
        out = {}
        for port, name in zip(self._compiled.outputs, self.output_names):
            out[name] = np.array(res[port])
        return out

    def _close(self) -> None:
        self._request = None
        self._compiled = None
