"""The project's own executor (`c2core.runtime.Predictor`) as a backend.

It is the reference every other backend is compared with: it runs the Caffe2
net itself with Caffe2 semantics, so it needs the Caffe2 model, not an ONNX
file or a built engine.
"""

from __future__ import annotations

import numpy as np

from ..errors import C2Error
from .base import Availability, Backend


class C2Backend(Backend):
    name = "c2"
    precisions = ("fp32",)

    @classmethod
    def availability(cls) -> Availability:
        try:
            import c2core.runtime as rt  # noqa: F401

            rt.Predictor  # noqa: B018
        except (ImportError, AttributeError) as e:
            return Availability(False, f"the executor (c2core.runtime) is not available: {e}")
        return Availability(True, "", "c2core")

    def _prepare(self, source) -> None:
        if source.model is None:
            from .source import NATIVE_BACKEND

            what = {"onnx": "an ONNX", "openvino": "an OpenVINO IR", "tensorrt": "a TensorRT plan"}.get(source.kind,
                                                                                                      f"a {source.kind}")
            raise C2Error(f"the c2 backend runs Caffe2 models, not {what} file (use --backend "
                          f"{NATIVE_BACKEND.get(source.kind, 'onnxruntime')})", source.path)
        from c2core.runtime import Predictor

        self._predictor = Predictor(source.model, threads=self.options.get("threads"))
        self.input_names = source.input_names()
        self.output_names = list(source.model.external_outputs)

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = self._predictor.run(inputs)
        return {k: np.asarray(v) for k, v in out.items()}

    def _close(self) -> None:
        self._predictor = None

    @property
    def predictor(self):
        """The prepared executor (None before prepare): callers run it with fetch_all=True
        to see every intermediate blob of the same prepared plan."""
        return getattr(self, "_predictor", None)
