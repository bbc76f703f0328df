"""ONNX Runtime (CPU execution provider) on the model's ONNX export."""

from __future__ import annotations

import numpy as np

from .base import Availability, Backend


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    precisions = ("fp32", "int8")  # int8: ORT static QDQ quantization, options calib/calib_count

    @classmethod
    def availability(cls) -> Availability:
        try:
            import onnxruntime as ort
        except ImportError:
            return Availability(False, "Python package 'onnxruntime' is not installed")
        return Availability(True, "", ort.__version__)

    def _prepare(self, source) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        threads = self.options.get("threads")
        if threads:
            opts.intra_op_num_threads = int(threads)
        opts.log_severity_level = 4  # errors come back as exceptions (one C2Error line); the log would print them twice
        if self.options.get("spinning") is False:
            # idle worker threads otherwise spin after each run, stealing the CPU from
            # whatever runs next in the same process (interleaved benchmarks)
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        path = source.onnx_path()
        if self.precision == "int8":
            from ..quantize.cache import cached_int8

            path = cached_int8(source, "onnxruntime", self.options.get("calib"), self.options.get("calib_count", 300),
                               progress=source.progress, cancel=source.cancel)
        self._session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self._session.get_inputs()]
        self.output_names = [o.name for o in self._session.get_outputs()]
        self._input_types = {i.name: i.type for i in self._session.get_inputs()}

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {}
        for n, a in inputs.items():
            t = self._input_types.get(n, "")
            feed[n] = a.astype(np.float16) if t == "tensor(float16)" else (a.astype(np.float32) if t == "tensor(float)" else a)
        outs = self._session.run(self.output_names, feed)
        return dict(zip(self.output_names, outs))

    def _close(self) -> None:
        self._session = None
