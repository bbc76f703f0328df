"""The one interface every inference backend implements.

A backend answers four questions, in this order:
  1. `availability()` (class method): can it run on this machine, and if not,
     why not, in words a user can act on ("package 'openvino' is not
     installed", "no CUDA GPU", "TensorRT 9.2 is too old").
  2. `prepare(source)`: turn a `ModelSource` (a Caffe2 model and/or its ONNX
     export) into something runnable: an executor plan, an ORT session, a
     compiled OpenVINO model, a TensorRT engine. Slow, done once.
  3. `run(inputs)`: one batch; dict name -> np.ndarray in, dict out, with the
     model's output names and float32 results whatever the precision inside.
  4. `close()`: release sessions and device memory (also via `with`).

Precisions are named "fp32", "fp16", "int8"; a backend lists the ones it has.
Specs on the command line read NAME[:PRECISION], e.g. "openvino:fp16".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import C2Error
from ..ops._arrays import contiguous  # NumPy only: keeps 0-d inputs 0-d

PRECISIONS = ("fp32", "fp16", "int8")


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""
    version: str = ""

    def __bool__(self) -> bool:
        return self.ok


class BackendUnavailable(C2Error):
    """A backend that cannot run here; the message says why."""


class Backend:
    """Base class: subclasses set `name`, `precisions` and implement the hooks."""

    name = "?"
    precisions: tuple[str, ...] = ("fp32",)
    device = "CPU"

    def __init__(self, precision: str = "fp32", **options):
        precision = precision.lower()
        if precision not in self.precisions:
            raise C2Error(f"backend '{self.name}' has no precision '{precision}' (has: {', '.join(self.precisions)})")
        self.precision = precision
        self.options = options
        self.input_names: list[str] = []
        self.output_names: list[str] = []
        self.prepared = False

    # ----- to implement ------------------------------------------------------
    @classmethod
    def availability(cls) -> Availability:
        raise NotImplementedError

    def _prepare(self, source) -> None:
        raise NotImplementedError

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _close(self) -> None:
        pass

    # ----- shared behaviour ----------------------------------------------------
    @property
    def label(self) -> str:
        return self.name if self.precision == "fp32" else f"{self.name}:{self.precision}"

    def prepare(self, source) -> "Backend":
        av = self.availability()
        if not av.ok:
            raise BackendUnavailable(f"backend '{self.name}' is not available: {av.reason}")
        try:
            self._prepare(source)
        except (C2Error, KeyboardInterrupt, MemoryError):
            raise
        except Exception as e:  # noqa: BLE001 - the engine's own exception types
            from ..engine_errors import engine_failure

            model = getattr(source, "model", None)
            raise engine_failure(e, self.label, "loading the model", getattr(model, "predict_net", None)) from e
        self.prepared = True
        return self

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not self.prepared:
            raise RuntimeError(f"backend '{self.name}': prepare() first")
        missing = [n for n in self.input_names if n not in inputs]
        if missing:
            raise C2Error(f"backend '{self.label}': missing input(s) {', '.join(missing)} (expects {', '.join(self.input_names)})")
        try:
            out = self._run({n: contiguous(inputs[n]) for n in self.input_names})
        except (C2Error, KeyboardInterrupt, MemoryError):
            raise
        except Exception as e:  # noqa: BLE001 - the engine's own exception types
            from ..engine_errors import engine_failure

            raise engine_failure(e, self.label, "running") from e
        return {k: _as_float32(v) for k, v in out.items()}

    def close(self) -> None:
        if self.prepared:
            self._close()
        self.prepared = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"


def _as_float32(a) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype in (np.float16, np.float64):
        return a.astype(np.float32)
    return a


def parse_spec(spec: str) -> tuple[str, str]:
    """'openvino:fp16' -> ('openvino', 'fp16'); 'ort' -> ('onnxruntime', 'fp32')."""
    name, _, precision = spec.strip().partition(":")
    name = name.strip().lower()
    name = {"ort": "onnxruntime", "ov": "openvino", "trt": "tensorrt", "caffe2": "c2", "executor": "c2"}.get(name, name)
    return name, (precision.strip().lower() or "fp32")
